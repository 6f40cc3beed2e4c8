"""What the files of a project left out of a plan declare: each document's kind, name and pin.

Why: ``plan manifests/voice-profiles.yaml`` in a project that prunes webhooks took the
webhooks ``manifests/webhooks.yaml`` declares for undeclared, and deleted them. As
Terraform's ``-target`` never destroys outside its target, a plan of part of a project
leaves what the other files declare alone; to know it, those files are read here.

Only the identity is read (``kind``, ``metadata.name``, ``metadata.id``:
:func:`~reconciler.manifests.document.parse_document`), never a spec, so no ``${env:…}``
the files use need be set, and a spec's mistakes (for the plan of those files to report)
do not stop this one. Nothing is guessed: a file that cannot be read or parsed as YAML, or
a document whose kind, name or pin cannot be told, is an issue at its file:line, and the
plan is refused (:func:`declared_elsewhere` raises). A declaration missed would be an
object deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.errors import ManifestError, ManifestIssue
from reconciler.core.keys import ObjectKey
from reconciler.manifests.document import ParsedDocument, parse_document
from reconciler.manifests.loader import ManifestSet, read_documents
from reconciler.manifests.yamlsource import release_text

#: said after each issue of a file left out, so that the error says why a file not given was read
_WHY = (
    "(a file of the project not given: a run of part of the project reads what it declares to leave that alone; "
    "it is refused rather than guess, since a declaration missed would count as undeclared and be pruned)"
)


@dataclass(frozen=True)
class Declared:
    """The identities the files not given declare, matched as the planner matches identity.

    A document not pinned declares its kind and case-insensitive name (:class:`ObjectKey`);
    one pinned by ``metadata.id`` declares the object of that id only, not others of its name
    (as :func:`reconciler.plan.undeclared.list_undeclared` treats a pin of the files given).
    """

    #: the files read, as shown in messages
    files: tuple[str, ...] = ()
    #: the project they lie in (the directory holding ``reconciler.yaml``), as shown in messages
    project: str = "."
    #: ``ObjectKey.folded`` of each document not pinned
    names: frozenset[tuple[str, str]] = frozenset()
    #: ``(kind, metadata.id)`` of each pinned document
    ids: frozenset[tuple[str, str]] = frozenset()

    def declares(self, kind: str, name: str, object_id: object) -> bool:
        """Whether the live object ``kind``/``name`` of ``object_id`` is declared by a file not given."""
        return (kind, str(object_id)) in self.ids or ObjectKey(kind, name).folded in self.names


def declared_elsewhere(manifests: ManifestSet) -> Declared:
    """What :attr:`ManifestSet.left_out` declares; raise ``ManifestError`` naming every file that cannot tell."""
    names: set[tuple[str, str]] = set()
    ids: set[tuple[str, str]] = set()
    issues: list[ManifestIssue] = list(manifests.left_out_issues)
    try:
        for shown in manifests.left_out:
            docs, problems = read_documents(Path(shown), shown)
            issues.extend(problems)
            for doc in docs:
                document = parse_document(shown, doc)
                kind, name = document.kind, document.name
                if kind is None or name is None or _metadata_broken(document):
                    issues.extend(document.issues())  # its kind, name or pin cannot be told
                    continue
                if document.pinned_id is not None:
                    ids.add((kind.name, document.pinned_id))
                else:
                    names.add(ObjectKey(kind.name, name).folded)
    finally:
        release_text()  # the text an issue's marks were re-derived from: not held past reading
    if issues:
        raise ManifestError(_explained(issues))
    return Declared(files=manifests.left_out, project=manifests.project or ".", names=frozenset(names),
                    ids=frozenset(ids))


def _metadata_broken(document: ParsedDocument) -> bool:
    """A problem in ``metadata`` (its pin; a problem of ``apiVersion`` or the spec is not for this read to judge)."""
    return any(path[:1] == ("metadata",) for path, _, _, _ in document.problems)


def _explained(issues: Iterable[ManifestIssue]) -> list[ManifestIssue]:
    return [ManifestIssue(i.file, i.line, i.column, i.path, f"{i.message} {_WHY}") for i in issues]
