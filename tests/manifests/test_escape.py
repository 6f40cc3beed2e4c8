"""``$${`` is the literal ``${`` (Terraform's escape): never a placeholder, a variable, a reference or sensitive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core.keys import ObjectKey
from reconciler.manifests import load_manifests
from reconciler.manifests.desired import Unresolved, escape, escaped_placeholders, literal, resolve
from reconciler.manifests.escapes import escape_warnings

SECRET = "Esc4pe-KNOWN-secret-7731"
ENV = {"X": SECRET}


def no_lookup(key: ObjectKey, field: str) -> Any:
    raise AssertionError(f"an escape is not a reference: {key}.{field} was looked up")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("$${env:X}", "${env:X}"),
        ("$${ref:Webhook/B.id}", "${ref:Webhook/B.id}"),
        ("costs $${price}", "costs ${price}"),
        ("$${", "${"),
        ("$$x and $ alone", "$$x and $ alone"),
        # Terraform 1.11: "$$${var.x}" is the literal "$${var.x}" (a "$", then the escape); "$$$${" likewise
        ("$$${env:X}", "$${env:X}"),
        ("$$$${env:X}", "$$${env:X}"),
    ],
)
def test_an_escape_is_read_as_literal_text_and_never_reads_the_environment(written: str, meant: str) -> None:
    resolution = resolve({"description": written}, ENV, no_lookup)
    assert resolution.value == {"description": meant}
    assert not resolution.sensitive and not resolution.unknown and resolution.sensitive_paths == []
    assert literal(written) == meant


@pytest.mark.parametrize("text", ["${env:X}", "$${x}", "a$$${b}", "$", "${", "}${ref:A/B.id}$", "plain", "$$$$${"])
def test_escaping_any_text_reads_back_as_that_text(text: str) -> None:
    for templated in (False, True):
        escaped = escape(text, templated=templated)
        assert literal(escaped, templated=templated) == text
        assert resolve({"f": escaped}, ENV, no_lookup, templated=("f",) if templated else ()).value == {"f": text}


def test_escapes_inside_lists_and_nested_values_and_beside_placeholders_while_keys_stay_as_written() -> None:
    spec = {
        "headers": {"${env:X}": "$${env:X}", "X-Plain": "a ${env:X}"},
        "eventFilters": [{"event": "e", "filter": "id eq $${ref:Webhook/B.id} or ${ref:Webhook/B.id}"}],
        "tags": ["$${env:X}", "${env:X}"],
    }
    looked: list[tuple[ObjectKey, str]] = []

    def lookup(key: ObjectKey, field: str) -> Any:
        looked.append((key, field))
        return "B-ID"

    resolution = resolve(spec, ENV, lookup)
    assert resolution.value == {
        "headers": {"${env:X}": "${env:X}", "X-Plain": f"a {SECRET}"},  # keys are never read for either
        "eventFilters": [{"event": "e", "filter": "id eq ${ref:Webhook/B.id} or B-ID"}],
        "tags": ["${env:X}", SECRET],
    }
    assert looked == [(ObjectKey("Webhook", "B"), "id")]  # the escaped reference is not one
    assert resolution.sensitive_paths == [("headers", "X-Plain"), ("tags", 1)]


def test_a_value_substituted_in_is_not_read_again_for_escapes() -> None:
    assert resolve({"d": "${env:X}"}, {"X": "a$${b"}, no_lookup).value == {"d": "a$${b"}


def test_a_referenced_field_holding_an_escape_gives_its_literal_text_unmasked() -> None:
    resolution = resolve({"d": "see ${ref:Webhook/B.description}"}, ENV, lambda k, f: Unresolved("$${env:X}"))
    assert (resolution.value, resolution.sensitive) == ({"d": "see ${env:X}"}, False)


def test_in_a_template_field_only_our_placeholders_are_escaped_and_the_platforms_text_stays() -> None:
    spec = {"config": {"request": {"requestTemplate": "$${input.price} $${env:X} ${input.id}"}}}
    resolution = resolve(spec, ENV, no_lookup, templated=("config",))
    assert resolution.value == {"config": {"request": {"requestTemplate": "$${input.price} ${env:X} ${input.id}"}}}
    assert escape("$${input.price} ${env:X}", templated=True) == "$${input.price} $${env:X}"


def test_escaped_placeholders_are_the_ones_whose_meaning_changed() -> None:
    assert escaped_placeholders("a $${env:X} $${price} $$${ref:K/N.id} ${env:Y}") == ["$${env:X}", "$${ref:K/N.id}"]


def write(tmp_path: Path, description: str) -> Path:
    (tmp_path / "hook.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: H\nspec:\n"
        "  requestUrl: https://x.example.com/\n  eventFilters:\n    - event: rules.updated\n"
        f"  description: {json.dumps(description)}\n"
    )
    return tmp_path


def test_an_escaped_malformed_placeholder_is_valid_text_and_names_no_variable(tmp_path: Path) -> None:
    loaded = load_manifests([write(tmp_path, "$${not a placeholder} $${env:X}")], env={})
    [obj] = loaded.objects
    assert obj.env_names == () and obj.references == ()


def test_validate_points_at_each_escaped_placeholder_whose_meaning_changed(tmp_path: Path) -> None:
    root = write(tmp_path, "$${env:X}")
    [located] = escape_warnings(load_manifests([root], env={}).objects)
    warning = str(located)
    assert "hook.yaml:9" in warning and "spec.description" in warning
    assert "'$${env:X}' is now the literal text '${env:X}'" in warning and "write ${env:X}" in warning
    text = CliRunner().invoke(main, ["validate", str(root)], env=ENV)
    assert text.exit_code == 0 and f"warning: {warning}" in text.stderr and SECRET not in text.output
    as_json = CliRunner().invoke(main, ["validate", str(root), "--format", "json"], env=ENV)
    assert json.loads(as_json.stdout)["warnings"] == [warning]
