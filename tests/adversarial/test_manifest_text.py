"""The text of a manifest and of its name: encodings, escapes and bytes no output can carry.

A file saved as UTF-16 or Latin-1, a YAML escape of half a surrogate pair, a file name git
stores as bytes that are not UTF-8: each is an error at its place (file, and line:column
where there is one), exit 1, never a traceback in validate or in plan, which prints,
hashes and saves what it read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adversarial._harness import TIME_BOUND, invoke_cli, project
from tests.adversarial.test_manifests import VALID, _project, _validate

pytestmark = pytest.mark.timeout(TIME_BOUND)


ENCODING_CASES = [
    ("utf-16", VALID.encode("utf-16"), "manifests/enc.yaml:1:1: not UTF-8 text: it is UTF-16"),
    ("utf-16-be", b"\xfe\xff" + VALID.encode("utf-16-be"), "manifests/enc.yaml:1:1: not UTF-8 text: it is UTF-16"),
    ("utf-32", VALID.encode("utf-32"), "manifests/enc.yaml:1:1: not UTF-8 text: it is UTF-32"),
    ("latin-1", VALID.replace("Main", "Caf\u00e9 cr\u00e8me").encode("latin-1"),
     "manifests/enc.yaml:4:12: not UTF-8 text: byte 0xE9 at byte offset 66 (invalid continuation byte)"),
    ("after-utf8", VALID.replace("Main", "\u00e9t\u00e9 ok").encode() + b"  pitch: \xff\n",
     "manifests/enc.yaml:9:10: not UTF-8 text: byte 0xFF"),
]


@pytest.mark.parametrize(("data", "message"), [c[1:] for c in ENCODING_CASES], ids=[c[0] for c in ENCODING_CASES])
def test_a_file_not_in_utf8_is_placed_at_its_first_bad_byte(tmp_path: Path, data: bytes, message: str) -> None:
    """It said "invalid start byte at byte 0": no line for the editor, and no word of UTF-16 from Windows tools."""
    root = _project(tmp_path)
    (root / "manifests" / "enc.yaml").write_bytes(data)
    _validate(root).expect(1, message)


@pytest.mark.parametrize(("name", "byte"), [(b"bad\xff.yaml", "FF"), (b"dir\xfe/ok.yaml", "FE")],
                         ids=["file", "directory"])
def test_a_file_name_that_is_not_utf8_is_an_error_not_a_traceback(tmp_path: Path, name: bytes, byte: str) -> None:
    """validate passed it; plan could not hash, print or save the name (UnicodeEncodeError traceback)."""
    root = _project(tmp_path)
    path = root / "manifests" / os.fsdecode(name)
    path.parent.mkdir(exist_ok=True)
    path.write_text(VALID.replace("Main", "Odd"))
    shown = os.fsdecode(name).encode("utf-8", "backslashreplace").decode()  # as the output escapes it
    expected = f"manifests/{shown}: its name is not UTF-8 text (byte 0x{byte}); rename it"
    _validate(root).expect(1, expected)
    invoke_cli(["plan", "manifests"], cwd=root).expect(1, expected)


SURROGATE_CASES = [
    ("name", VALID.replace("name: Main", 'name: "Ma\\ud800in"'), "manifests/sur.yaml:4:9: metadata.name: "),
    ("pair-as-two-escapes", VALID.replace("name: Main", 'name: "x \\ud83d\\ude00"'), "manifests/sur.yaml:4:9: "),
    ("key", VALID + '  customParams:\n    "k\\udfff": 1\n', "manifests/sur.yaml:10:5: spec.customParams: the key "),
    ("in-a-list", VALID + '  customParams:\n    k: ["a", "\\uDC00"]\n', "spec.customParams.k[1]: "),
]


@pytest.mark.parametrize(("text", "where"), [c[1:] for c in SURROGATE_CASES], ids=[c[0] for c in SURROGATE_CASES])
def test_an_escape_of_half_a_surrogate_pair_is_refused_at_its_place(tmp_path: Path, text: str, where: str) -> None:
    """It validated, then every plan and apply ended in a UnicodeEncodeError traceback printing it."""
    root = _project(tmp_path)
    (root / "manifests" / "sur.yaml").write_text(text)
    _validate(root).expect(1, where, "half of a UTF-16 surrogate pair, which is no character")
    invoke_cli(["plan", "manifests"], cwd=root).expect(1, where)


def test_a_character_beyond_16_bits_written_as_an_escape_is_read(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "main.yaml").write_text(VALID.replace("name: Main", 'name: "Main \\U0001F600 \\u00e9"'))
    invoke_cli(["plan", "manifests"], cwd=root).expect(0, "+ create VoiceProfile/Main \U0001F600 \u00e9")


@pytest.mark.parametrize("command", [["validate", "--check-env"], ["plan"]])
def test_an_environment_value_that_is_not_utf8_is_an_error_at_its_placeholder(
    tmp_path: Path, command: list[str]
) -> None:
    """Its bytes reach Python as lone surrogates: masking or sending it was a UnicodeEncodeError traceback."""
    root = project(tmp_path)
    odd = os.fsdecode(b"ab\xffcdef")
    outcome = invoke_cli([*command, "--sandbox-db", str(tmp_path / "s.db")] if command == ["plan"] else command,
                         cwd=root, env={"CRM_WEBHOOK_PASSWORD": odd})
    outcome.expect(1, "manifests/webhooks.yaml:19:15: spec.authSecret: environment variable CRM_WEBHOOK_PASSWORD "
                      "is not UTF-8 text; set it as UTF-8")
    assert "cdef" not in outcome.output  # nothing of the value is shown


#: (case, the manifest, the envelope path as shown, the YAML's problem there)
ENVELOPE_CASES = [
    ("name-tag", VALID.replace("name: Main", "name: !!binary aGk="), "metadata.name", "unsupported YAML tag"),
    ("name-surrogate", VALID.replace("name: Main", 'name: "bad \\ud800"'), "metadata.name", "half of a UTF-16"),
    ("kind-tag", VALID.replace("kind: VoiceProfile", "kind: !custom VoiceProfile"), "kind", "unsupported YAML tag"),
    ("kind-surrogate", VALID.replace("kind: VoiceProfile", 'kind: "Voice\\udc00"'), "kind", "half of a UTF-16"),
    ("api-version-tag", VALID.replace("apiVersion: ", "apiVersion: !custom "), "apiVersion", "unsupported YAML tag"),
    ("id-tag", VALID.replace("name: Main", "name: Main\n  id: !!binary aGk="), "metadata.id", "unsupported YAML tag"),
    ("metadata-tag", VALID.replace("metadata:\n  name: Main", "metadata: !custom {name: Main}"), "metadata",
     "unsupported YAML tag"),
    ("spec-tag", VALID.replace("spec:", "spec: !custom"), "spec", "unsupported YAML tag"),
]


@pytest.mark.parametrize(("text", "shown", "says"), [c[1:] for c in ENVELOPE_CASES], ids=[c[0] for c in ENVELOPE_CASES])
def test_a_bad_yaml_value_in_the_envelope_is_one_error_the_yamls(
    tmp_path: Path, text: str, shown: str, says: str
) -> None:
    """The YAML's problem left ``None`` there, which the envelope reported again at the same place:
    ``metadata.name: is required`` under ``metadata.name: unsupported YAML tag``."""
    root = _project(tmp_path)
    (root / "manifests" / "env.yaml").write_text(text)
    outcome = _validate(root).expect(1, f": {shown}: ", says)
    lines = [line for line in outcome.output.splitlines() if line.startswith("manifests/env.yaml:")]
    assert len(lines) == 1, "\n".join(lines)
    assert f": {shown}: " in lines[0] and says in lines[0]
