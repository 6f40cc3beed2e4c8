"""``load_manifests``: from paths to a validated :class:`ManifestSet`, or every problem at once.

The passes, each reporting everything it finds before the next one runs where it can:

1. files: discover, read, parse YAML (syntax errors, duplicate keys) and settings;
2. documents: envelope (apiVersion, kind, metadata.name, spec);
3. identities: one object per (kind, name), names compared case-insensitively;
4. specs: placeholders (secrets, unset variables, malformed references) then every
   rule of the kind, on values where placeholders are stood in for;
5. references: declared targets, referenceable fields, no cycles. Before it, in a load of
   part of a project, the documents the files given reference that only its other files
   declare are pulled in and checked as in passes 2 to 4 (:mod:`.included`).

Nothing here touches the network: ``reconciler validate`` is this function.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from reconciler.core.errors import ManifestIssue
from reconciler.core.graph import ReferenceGraph, reference_graph
from reconciler.core.jsonpath import JsonPath, format_path
from reconciler.core.keys import Location, ObjectKey
from reconciler.manifests.desired import DesiredObject
from reconciler.manifests.document import ParsedDocument, parse_document
from reconciler.manifests.files import digest, discover, display, left_out
from reconciler.manifests.included import pull_referenced
from reconciler.manifests.issues import Issues
from reconciler.manifests.placeholders import substitute
from reconciler.manifests.reading import Unreadable, read_text
from reconciler.manifests.references import declared_value, identity_issues, reference_issues
from reconciler.manifests.settings import ProjectSettings, load_settings
from reconciler.manifests.spec import check_spec
from reconciler.manifests.yamlsource import DeferredMarks, SourceDocument, load_documents, release_text

_T = TypeVar("_T")


@dataclass(frozen=True)
class ManifestSet:
    """The desired state: validated objects with their placeholders still unresolved."""

    objects: tuple[DesiredObject, ...]
    files: tuple[str, ...]
    digest: str
    settings: ProjectSettings
    #: the objects' references, walked once here and reused by the planner
    graph: ReferenceGraph
    #: manifest files of the project (the root holding ``reconciler.yaml``) that were not given
    left_out: tuple[str, ...] = ()
    #: what kept the walk for :attr:`left_out` from reading a file (see :func:`~.files.left_out`)
    left_out_issues: tuple[ManifestIssue, ...] = ()
    #: the project's ``reconciler.yaml`` as shown in messages; ``None`` when there is none
    settings_file: str | None = None
    #: the directory holding it, as shown in messages (``.`` for the working directory); ``None`` when there is none
    project: str | None = None
    #: objects declared only in a file not given, pulled in as the files given reference them (:mod:`.included`):
    #: each -> the objects that reference it
    included: Mapping[ObjectKey, tuple[ObjectKey, ...]] = field(default_factory=dict)

    def by_key(self) -> dict[ObjectKey, DesiredObject]:
        """Objects by identity (kind, case-insensitive name)."""
        return {obj.key: obj for obj in self.objects}


def load_manifests(paths: Sequence[str | Path], env: Mapping[str, str] | None = None) -> ManifestSet:
    """Load and validate the manifests under ``paths``; raise ``ManifestError`` with ALL issues.

    All of them counted, the first :data:`~reconciler.core.errors.MAX_ISSUES` listed (see
    :mod:`.issues`). ``env`` supplies ``${env:NAME}`` values (default: the process
    environment); they are used to validate, never stored in the result.
    """
    try:
        return _load(paths, os.environ if env is None else env)
    finally:
        release_text()  # the text an error's marks were re-derived from: not held past loading


def _load(paths: Sequence[str | Path], environment: Mapping[str, str]) -> ManifestSet:
    fileset = discover(paths)
    issues = Issues()
    issues.extend(fileset.issues)
    if not fileset.settings_outside:  # else an issue already, and never read
        settings, settings_issues = load_settings(fileset.settings_path, display(fileset.settings_path))
        issues.extend(settings_issues)
    else:
        settings = ProjectSettings()

    # Each document is checked as it is read and then let go, all but those holding a
    # placeholder: their check resolves ``${ref:…}`` against every declaration, so it waits
    # for the last file. Keeping every parsed document to the end was most of a large
    # estate's loading peak (58 MB of 141 at 50,000 objects).
    objects: list[DesiredObject] = []
    waiting: list[ParsedDocument] = []
    whys: dict[int, str] = {}  # id() of a waiting document pulled in -> its why (a tuple per document cost memory)
    for path in fileset.files:
        shown = display(path)
        docs, file_issues = read_documents(path, shown)
        issues.extend(file_issues)
        for doc in _each(docs):
            _take(parse_document(shown, doc), "", objects, waiting, whys, environment, issues)
    # a plan of part of a project: what the files given reference and only the others declare comes too
    included = pull_referenced(objects, lambda: left_out(fileset, paths), read_documents)
    issues.extend(included.issues)
    for document in _each(included.documents):
        assert document.kind is not None and document.name is not None  # pulled in by its identity
        why = included.why(ObjectKey(document.kind.name, document.name), document.file)
        _take(document, why, objects, waiting, whys, environment, issues)
    issues.extend(identity_issues(objects))
    declared = {obj.key: obj for obj in reversed(objects)}  # the first declaration wins

    for document in _each(waiting):
        _keep(document, _spec_problems(document, environment, declared), issues, whys.get(id(document), ""))
    graph = reference_graph(objects)
    pulled = included.referenced_by  # a problem placed in a file not given says why that file is read
    reference_issues(objects, graph, issues,
                     lambda obj: included.why(obj.key, obj.source.file) if obj.key in pulled else "")

    if issues:
        raise issues.error()
    files = [*fileset.files, *included.files]  # a plan's digest covers every file it took a document from
    rest = left_out(fileset, paths)
    if fileset.settings_path.is_file():
        files.append(fileset.settings_path)
    return ManifestSet(
        objects=tuple(objects),
        files=tuple(display(p) for p in fileset.files),
        digest=digest(fileset.root, files),
        settings=settings,
        graph=graph,
        left_out=tuple(display(p) for p in rest.files),
        left_out_issues=rest.issues,
        settings_file=display(fileset.settings_path) if fileset.settings_path.is_file() else None,
        project=display(fileset.root) if fileset.settings_path.is_file() else None,
        included=included.referenced_by,
    )


def _take(document: ParsedDocument, why: str, objects: list[DesiredObject], waiting: list[ParsedDocument],
          whys: dict[int, str], environment: Mapping[str, str], issues: Issues) -> None:
    """Keep one document read: its object, its envelope's problems, and its spec's now or once all are declared.

    ``why``: said after each of its problems (a document pulled in from a file not given); kept in
    ``whys`` by the document's ``id`` while it waits in ``waiting``, which holds it alive until then.
    """
    if document.kind is not None and document.name is not None and document.spec is not None:
        objects.append(_desired(document))
    if document.doc.placeholder_free:
        _keep(document, _spec_problems(document, environment, _NOTHING_DECLARED), issues, why)
    else:
        _keep(document, [], issues, why)  # its spec waits for every declaration: its envelope now
        waiting.append(document)
        if why:
            whys[id(document)] = why


#: what a document without placeholders resolves references against: nothing (it holds none)
_NOTHING_DECLARED: Mapping[ObjectKey, DesiredObject] = {}


def _each(items: list[_T]) -> Iterator[_T]:
    """``items`` in order, each let go by the list as it is handed out (the list is emptied).

    Why: an error caches the marks of its document, a dict per value; with the list holding
    every document to the end of its file, a file of 106,000 broken documents held them all.
    """
    items.reverse()
    while items:
        yield items.pop()


def read_documents(path: Path, shown: str) -> tuple[list[SourceDocument], list[ManifestIssue]]:
    """The YAML documents of one file, or why it cannot be read or parsed (each problem located)."""
    try:
        text = read_text(path)
    except Unreadable as exc:
        return [], [ManifestIssue(shown, exc.line, exc.column, "", str(exc))]
    docs, problems = load_documents(text, read_again=lambda: _read_again(path), eager=_EAGER)
    return docs, [ManifestIssue(shown, p.line, p.column, format_path(p.path), p.message) for p in problems]


#: the marks every object is asked for (its ``source``, its pin): kept, while the rest are re-derived on demand
_EAGER = (("metadata", "name"), ("metadata", "id"))


def _read_again(path: Path) -> str | None:
    """The file's text once more, for the marks of a late error; ``None`` when it can no longer be read."""
    try:
        return read_text(path)
    except Unreadable:
        return None


def _desired(document: ParsedDocument) -> DesiredObject:
    assert document.kind is not None and document.name is not None and document.spec is not None
    doc = document.doc
    locations = SpecLocations(document.file, doc.deferred("spec"))
    line, column = doc.mark(("metadata", "name"))
    return DesiredObject(
        kind=document.kind.name,
        name=document.name,
        spec=document.spec,
        source=Location(document.file, line, column),
        locations=locations,
        pinned_id=document.pinned_id,
        pinned_at=_pinned_at(document),
        placeholder_free=doc.placeholder_free,
    )


def _pinned_at(document: ParsedDocument) -> Location | None:
    if document.pinned_id is None:
        return None
    line, column = document.doc.mark(("metadata", "id"))
    return Location(document.file, line, column)


class SpecLocations(Mapping[str, Location]):
    """Spec path (``phrases[1].phrase``) -> where it was written, worked out on first use.

    Why lazily: only late errors (a reference check, a live check) ask, yet building a
    ``Location`` and a path text for every value of 10,000 manifests cost a quarter second;
    the document's marks themselves are re-derived from its file on that first use.
    """

    __slots__ = ("_file", "_marks", "_built")

    def __init__(self, file: str, marks: DeferredMarks) -> None:
        self._file = file
        self._marks: DeferredMarks | None = marks
        self._built: dict[str, Location] | None = None

    def _locations(self) -> dict[str, Location]:
        if self._built is None:
            marks = self._marks.values() if self._marks is not None else {}
            self._built = {
                format_path(path[1:]): Location(self._file, line, column)
                for path, (line, column) in marks.items()
                if path and path[0] == "spec"
            }
            self._marks = None
        return self._built

    def __getitem__(self, key: str) -> Location:
        return self._locations()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._locations())

    def __len__(self) -> int:
        return len(self._locations())

    def __repr__(self) -> str:
        return repr(self._locations())


#: a broken rule of a spec, not yet placed: (path in the spec, message, at the key)
SpecProblem = tuple[JsonPath, str, bool]


def _spec_problems(
    document: ParsedDocument, env: Mapping[str, str], declared: Mapping[ObjectKey, DesiredObject]
) -> list[SpecProblem]:
    if document.kind is None or document.spec is None:
        return []
    substitution = substitute(
        document.kind,
        document.spec,
        env,
        lambda key, field: declared_value(declared, key, field),
        placeholder_free=document.doc.placeholder_free,
    )
    out: list[SpecProblem] = [(issue.path, issue.message, False) for issue in substitution.issues]
    for found in check_spec(document.kind, substitution):
        if not document.doc.is_broken(("spec", *found.path)):
            out.append((found.path, found.message, found.at_key))
    return out


def _keep(document: ParsedDocument, spec: list[SpecProblem], issues: Issues, why: str = "") -> None:
    """Place the document's problems (its envelope's, taken from it, and ``spec``) and keep them in ``issues``.

    ``why`` is added to each message (see :meth:`~.included.Included.why`).

    Unplaced, only counted, when ``issues`` already holds its bound of issues listed before
    the document's first line: placing them would re-derive the document's marks for nothing.
    """
    envelope = document.problems
    count = len(envelope) + len(spec)
    if not count:
        return
    doc = document.doc
    if issues.passed(document.file, doc.start[0]):
        issues.skip(count)
        release_text()  # nothing from here on in the file is placed: the text read again for marks can go
    else:
        for issue in document.issues():
            issues.add(ManifestIssue(issue.file, issue.line, issue.column, issue.path, issue.message + why))
        for path, message, at_key in spec:
            line, column = doc.mark(("spec", *path), key=at_key)
            issues.add(ManifestIssue(document.file, line, column, _spec_path(path), message + why))
    envelope.clear()  # kept or counted once: a waiting document comes back for its spec


def _spec_path(path: tuple[str | int, ...]) -> str:
    inner = format_path(path)
    if not inner:
        return "spec"
    return f"spec{inner}" if inner.startswith("[") else f"spec.{inner}"
