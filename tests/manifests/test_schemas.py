"""The JSON Schemas in ``schemas/``: in step with the models, accept the examples, reject the corpus."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.kinds import KINDS
from reconciler.manifests.desired import known_text
from reconciler.manifests.schemas import MANIFEST, PLACEHOLDER_ALTERNATIVE, build_schemas, main, render

from .corpus_cases import CORPUS, SCHEMA_CASES, Case

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "manifests"
#: examples of the kinds bound to the real platform API (kept apart from the quickstart's manifests/)
REAL_EXAMPLES = ROOT / "manifests-real"


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / name).read_text()))


def documents(path: Path) -> Iterator[Any]:
    yield from (d for d in yaml.safe_load_all(path.read_text()) if d is not None)


def example_documents() -> list[tuple[str, Any]]:
    files = sorted(p for d in (EXAMPLES, REAL_EXAMPLES) for p in d.glob("*.yaml") if p.name != "reconciler.yaml")
    return [(f"{p.parent.name}/{p.name}#{i}", doc) for p in files for i, doc in enumerate(documents(p))]


def field_path(field: str) -> list[str | int]:
    """``spec.phrases[1].matchtype`` -> ``['spec', 'phrases', 1, 'matchtype']``."""
    out: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        out.append(int(index) if index else name)
    return out


class TestDrift:
    def test_checked_in_schemas_equal_the_generated_ones(self) -> None:
        for name, schema in build_schemas().items():
            assert (SCHEMAS / name).read_text() == render(schema), f"{name} drifted: run python -m reconciler.manifests.schemas"

    def test_no_stray_schema_files(self) -> None:
        assert {p.name for p in SCHEMAS.glob("*.json")} == set(build_schemas())

    def test_one_schema_per_kind_plus_manifest(self) -> None:
        assert set(build_schemas()) == {f"{k.name}.json" for k in KINDS} | {MANIFEST}

    def test_check_mode_detects_a_hand_edit(self, tmp_path: Path) -> None:
        assert main([str(tmp_path)]) == 0
        assert main(["--check", str(tmp_path)]) == 0
        edited = tmp_path / "Webhook.json"
        edited.write_text(edited.read_text().replace("1 to 20", "1 to 30"))
        assert main(["--check", str(tmp_path)]) == 1

    @pytest.mark.parametrize("name", sorted(build_schemas()))
    def test_schema_is_valid_draft_2020_12(self, name: str) -> None:
        jsonschema.Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))


class TestSchemaContent:
    def test_limits_and_descriptions_come_from_the_models(self) -> None:
        spec = build_schemas()[MANIFEST]["$defs"]["ScoringDirective"]["properties"]["value"]
        assert (spec["minimum"], spec["maximum"]) == (-1.0, 1.0)
        assert "Score change" in spec["description"]

    def test_write_only_field_admits_only_an_env_placeholder(self) -> None:
        check = validator("Webhook.json")
        doc = next(d for _, d in example_documents() if d["spec"].get("authSecret"))
        assert check.is_valid(doc)
        assert not check.is_valid({**doc, "spec": {**doc["spec"], "authSecret": "hunter2"}})

    def test_patterned_string_may_hold_a_placeholder(self) -> None:
        check = validator(MANIFEST)
        doc = next(d for _, d in example_documents() if d["kind"] == "Webhook")
        assert check.is_valid({**doc, "spec": {**doc["spec"], "requestUrl": "${env:HOOK_URL}"}})
        assert not check.is_valid({**doc, "spec": {**doc["spec"], "requestUrl": "ftp://x"}})

    def test_an_escaped_placeholder_is_text_the_pattern_must_accept(self) -> None:
        """``$${env:URL}`` is the literal text ``${env:URL}``, no URL: the schema admitted it as a placeholder,
        and the editor showed no squiggle where validate refuses the value."""
        check = validator(MANIFEST)
        doc = next(d for _, d in example_documents() if d["kind"] == "Webhook")

        def url(text: str) -> bool:
            return check.is_valid({**doc, "spec": {**doc["spec"], "requestUrl": text}})

        assert not url("$${env:HOOK_URL}") and not url("$$${env:HOOK_URL}")  # an escape, then text
        assert url("https://x.example.com/$${env:HOOK_URL}")  # text the pattern accepts
        assert url("${env:HOOK_URL}") and url("$ ${env:HOOK_URL}") and url("$${${env:HOOK_URL}")

    @pytest.mark.parametrize("text", ["${env:X}", "$${env:X}", "$$${env:X}", "a$${ref:K/N.id}", "$ ${env:X}",
                                      "$${${env:X}", "x${ref:K/N.id}", "$${x}", "plain"])
    def test_the_placeholder_alternative_reads_as_the_loader_does(self, text: str) -> None:
        """The schema admits a value as a placeholder exactly where the loader reads one (``known_text``)."""
        assert (re.search(PLACEHOLDER_ALTERNATIVE, text) is not None) == (known_text(text) is None)

    def test_kind_schema_rejects_another_kind(self) -> None:
        doc = next(d for _, d in example_documents() if d["kind"] == "SpeechRule")
        assert not validator("Webhook.json").is_valid(doc)


@pytest.mark.parametrize(("where", "doc"), example_documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_examples_are_accepted(where: str, doc: Any) -> None:
    assert not list(validator(MANIFEST).iter_errors(doc)), where
    assert not list(validator(f"{doc['kind']}.json").iter_errors(doc)), where


def test_there_are_examples_of_every_kind() -> None:
    kinds = [doc["kind"] for _, doc in example_documents()]
    assert all(kinds.count(k.name) >= (1 if k.singleton else 2) for k in KINDS)  # an org has one singleton


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=lambda c: c.id)
def test_schema_rejects_the_case_at_its_field(case: Case) -> None:
    """Rejected, and for the right reason: an error sits on the expected field or its parent."""
    expected = field_path(case.field)
    errors = [e for doc in documents(CORPUS / case.target) for e in validator(MANIFEST).iter_errors(doc)]
    assert errors, f"{case.target} passed the schema"
    paths = [list(e.absolute_path) for e in errors]
    assert any(p == expected[: len(p)] and len(p) >= len(expected) - 1 for p in paths), (expected, paths)
