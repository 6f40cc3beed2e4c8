"""The documents a plan of part of a project pulls in: declared only in a file not given, referenced from the plan.

Why: ``plan manifests/webhooks.yaml``, whose webhook filters on
``${ref:SpeechRule/Compliance Greeting.id}``, was refused as a dangling reference when
only ``manifests/speech-rules.yaml`` declares that rule. Terraform's ``-target`` plans the
target's dependencies with it; so does a plan of part of a project here. A reference that
the files given cannot resolve is looked for in the project's files not given
(:func:`~reconciler.manifests.files.left_out`), and the document that declares it is
pulled in, then its own references in turn: read whole, spec and all, and checked like a
document given (the loader does that), so its mistakes are reported at its file:line and
its ``${env:…}`` must be set. Only what is referenced is pulled in, not the rest of its file:
the rest is left alone as before (:mod:`reconciler.manifests.elsewhere`).

The files not given are read only when a reference is not resolved, so a plan whose
references all resolve reads nothing more than before. Each round reads the files that
declare what the last round's documents reference; the documents kept are only those
wanted (a whole project's documents are not held for a plan of one file).

Nothing is guessed: a file that supplies a document is checked whole as YAML (its YAML problems
are reported, as a file given's are; its other documents are not planned, so their own
mistakes are left to a plan of that file). When a reference stays unresolved, any file not
given that could not be read, and any document there whose kind or name cannot be told, is
reported too (it may be the one declaring it), beside the dangling reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.core.errors import ManifestIssue
from reconciler.core.keys import ObjectKey, some_of
from reconciler.kinds import REGISTRY
from reconciler.manifests.desired import DesiredObject, find_references
from reconciler.manifests.document import ParsedDocument, parse_document
from reconciler.manifests.files import FileSet, display
from reconciler.manifests.yamlsource import SourceDocument

#: the loader's ``read_documents`` (passed in, as the loader imports this module): a file's documents and problems
Reader = Callable[[Path, str], tuple[list[SourceDocument], list[ManifestIssue]]]


@dataclass
class Included:
    """What :func:`pull_referenced` found: documents to load as if given, and why each is in."""

    #: the documents pulled in, in file order then line order (as the loader reads files given)
    documents: list[ParsedDocument] = field(default_factory=list)
    #: each pulled-in object -> the objects of the plan that reference it, in the order found
    referenced_by: dict[ObjectKey, tuple[ObjectKey, ...]] = field(default_factory=dict)
    #: the files that supplied a document (their bytes are part of what the plan read: the digest)
    files: list[Path] = field(default_factory=list)
    #: problems of those files, and, when a reference stays unresolved, of every file that could not tell
    issues: list[ManifestIssue] = field(default_factory=list)

    def why(self, key: ObjectKey, file: str) -> str:
        """The clause said after each problem of a pulled-in document: why a file not given is checked."""
        by = some_of(self.referenced_by.get(key, ()))
        return (f" ({key} is in this run, referenced by {by or 'the plan'}: {file} was not given, so the "
                "document declaring it is read and checked like a file given, as Terraform's -target plans "
                "the target's dependencies)")


def pull_referenced(objects: Sequence[DesiredObject], left_out: Callable[[], FileSet], read: Reader) -> Included:
    """The documents of the project's files not given (``left_out()``) that ``objects`` reference, transitively.

    ``left_out`` is only called when a reference is not resolved by ``objects``: finding those
    files walks the project, which a load whose references resolve need not do.
    """
    found = Included()
    if not _any_unresolved(objects):
        return found
    declared = {obj.key for obj in objects}
    wanted: dict[ObjectKey, dict[ObjectKey, None]] = {}  # target -> its referrers, in the order found
    for obj in objects:
        _want(obj.key, (r.target for r in obj.references), declared, wanted)
    rest = left_out()
    if not (rest.files or rest.issues):
        return found
    order = {display(p): i for i, p in enumerate(rest.files)}
    paths = {display(p): p for p in rest.files}
    where: dict[ObjectKey, set[str]] = {}  # every identity the files declare -> the files (first round)
    unparsed: dict[str, list[ManifestIssue]] = {}  # the YAML problems of each file read
    untold: dict[str, list[ManifestIssue]] = {}  # the problems of its documents whose kind or name cannot be told
    pending = set(wanted)
    to_read = list(paths)
    first = True
    pulled_keys: list[ObjectKey] = []  # each document pulled in: its key as its document spells it
    while to_read and pending:
        pulled: list[tuple[ObjectKey, ParsedDocument]] = []
        for shown in to_read:
            docs, problems = read(paths[shown], shown)
            if first:
                unparsed[shown], untold[shown] = problems, []
            for doc in docs:
                document = parse_document(shown, doc)
                if document.kind is None or document.name is None:
                    if first:
                        untold[shown].extend(document.issues())
                    continue
                key = ObjectKey(document.kind.name, document.name)
                if first:
                    where.setdefault(key, set()).add(shown)
                if key in pending:
                    pulled.append((key, document))
        first = False
        declared.update(pending)
        before = set(wanted)
        for key, document in pulled:
            found.documents.append(document)
            pulled_keys.append(key)
            _want(key, (r.target for r in find_references(document.spec or {})), declared, wanted)
        pending = {k for k in wanted if k not in before}
        to_read = sorted({f for k in pending for f in where.get(k, ())}, key=order.__getitem__)
    found.documents.sort(key=lambda d: (order[d.file], d.doc.start[0]))
    supplied = {d.file for d in found.documents}
    found.files = [paths[s] for s in sorted(supplied, key=order.__getitem__)]
    # keyed as its document spells the name, not as the first reference did (``Webhook/mid`` for ``Mid``): the
    # key is what messages, the plan's changes and validate's JSON show
    declared_as: dict[ObjectKey, ObjectKey] = {}
    for key in pulled_keys:
        declared_as.setdefault(key, key)
    found.referenced_by = {declared_as[k]: tuple(v) for k, v in wanted.items() if k in declared_as}
    unresolved = any(k not in where for k in wanted)
    # a file a document came from is checked whole as YAML (as a file given); its other documents are not
    # planned, so theirs are for a plan of that file, unless one could be what a reference still misses
    for shown in paths:
        if shown in supplied or unresolved:
            found.issues.extend(_explained(unparsed.get(shown, ()), shown in supplied))
        if unresolved:
            found.issues.extend(_explained(untold.get(shown, ()), False))
    if unresolved:
        found.issues.extend(_explained(rest.issues, False))
    return found


def _any_unresolved(objects: Sequence[DesiredObject]) -> bool:
    """Whether ``objects`` reference an object of a known kind that none of them declares.

    Why not a set of every declared key: every load asks, and at 20,000 objects that set was
    1.7 MiB more at the loader's peak; the targets referenced are as many at most, most
    often far fewer (many objects naming one rule).
    """
    targets = {r.target for obj in objects for r in obj.references if r.target.kind in REGISTRY}
    for obj in objects:
        if not targets:
            break
        targets.discard(obj.key)
    return bool(targets)


def _want(referrer: ObjectKey, targets: Iterable[ObjectKey], declared: set[ObjectKey],
          wanted: dict[ObjectKey, dict[ObjectKey, None]]) -> None:
    """Note that ``referrer`` references each of ``targets`` that no document read so far declares.

    A target already wanted gets ``referrer`` as one more reason; a kind that does not exist is
    left for the reference check to name.
    """
    for target in targets:
        if target.kind not in REGISTRY or target == referrer:
            continue
        if target in wanted:
            wanted[target][referrer] = None
        elif target not in declared:
            wanted[target] = {referrer: None}


#: said after a problem of a file not given that was read for a reference
_SUPPLIED = (" (a file of the project not given, read because it declares an object this run references: "
             "that document is planned, so its file is checked like a file given)")
_SEARCHED = (" (a file of the project not given, read for an object this run references and no file given "
             "declares: it may be the one declaring it, so it is refused rather than guessed)")


def _explained(issues: Iterable[ManifestIssue], supplied: bool) -> list[ManifestIssue]:
    why = _SUPPLIED if supplied else _SEARCHED
    return [ManifestIssue(i.file, i.line, i.column, i.path, f"{i.message}{why}") for i in issues]
