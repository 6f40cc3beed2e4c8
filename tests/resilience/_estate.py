"""Generated estates: N valid objects as YAML manifests, a third of each kind.

Shared by the resilience tests and the benchmarks (``bench/run.py`` imports it), so
that both exercise the same shapes: voice profiles of every engine, speech rules with
phrases, scoring and tags in a non-canonical order, and webhooks of which every other
one references a speech rule's id and every third one carries a bearer secret taken
from the environment (``${env:HOOK_TOKEN_VAR}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: the environment variable that generated webhooks read their bearer secret from
HOOK_TOKEN_VAR = "ESTATE_HOOK_TOKEN"
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: documents per manifest file (a real repository splits its manifests too)
PER_FILE = 250

_VOICES = (
    ("en-US", "polly-Joanna", "amazon_polly"),
    ("en-GB", "azure-en-GB-SoniaNeural", "azure_tts"),
    ("es-ES", "google-es-ES-Wavenet-B", "google_tts"),
    ("fr-FR", "polly-Celine", "amazon_polly"),
)
_EVENTS = ("voice.profile.updated", "voice.profile.deleted", "rules.updated", "rules.deleted")


@dataclass(frozen=True)
class Estate:
    """Where the manifests were written and what they declare."""

    root: Path
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def names(self, kind: str) -> set[str]:
        """The declared names of ``kind`` (as written)."""
        prefix = {"VoiceProfile": "voice", "SpeechRule": "rule", "Webhook": "hook"}[kind]
        return {f"{self.tag} {prefix} {i:05d}" for i in range(self.counts[kind])}

    @property
    def tag(self) -> str:
        return self.root.name


def split(total: int) -> dict[str, int]:
    """A third of each kind; the remainder goes to the first kinds."""
    base, extra = divmod(total, 3)
    return {
        "VoiceProfile": base + (1 if extra > 0 else 0),
        "SpeechRule": base + (1 if extra > 1 else 0),
        "Webhook": base,
    }


def voice(tag: str, i: int, *, rate: float = 1.0) -> dict[str, Any]:
    language, name, engine = _VOICES[i % len(_VOICES)]
    spec: dict[str, Any] = {"language": language, "voice": name, "engine": engine, "rate": rate}
    if i % 2:
        spec["pitch"] = round(-2.0 + (i % 9) * 0.5, 1)
        spec["customParams"] = {"sampleRate": 8000, "neural": i % 4 == 1}
    return _document("VoiceProfile", f"{tag} voice {i:05d}", spec)


def rule(tag: str, i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "description": f"Generated rule {i}",
        "phrases": [
            {"phrase": f"cancel order {i}"},
            {"phrase": f"speak to agent {i}", "matchType": "fuzzy"},
            {"phrase": rf"\b(refund|return) {i}\b", "matchType": "regex"},
        ],
        "tags": ["zeta", "alpha", f"t{i % 7}"],
    }
    if i % 3 == 0:
        spec["scoring"] = [{"type": "additive", "value": 0.5},
                           {"type": "multiplicative", "value": -0.25, "condition": "fail"}]
    return _document("SpeechRule", f"{tag} rule {i:05d}", spec)


def hook(tag: str, i: int, rules: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "requestUrl": f"https://hooks.example.com/estate/{i}",
        "eventFilters": [{"event": _EVENTS[i % len(_EVENTS)]}],
    }
    if i % 2 == 0 and rules:
        target = f"{tag} rule {i % rules:05d}"
        spec["eventFilters"].append({"event": "rules.updated", "filter": f"ruleId eq ${{ref:SpeechRule/{target}.id}}"})
    if i % 3 == 0:
        spec["authScheme"] = "bearer"
        spec["authSecret"] = f"${{env:{HOOK_TOKEN_VAR}}}"
    return _document("Webhook", f"{tag} hook {i:05d}", spec)


def documents(tag: str, counts: dict[str, int], *, rate: float = 1.0) -> Iterator[dict[str, Any]]:
    for i in range(counts["VoiceProfile"]):
        yield voice(tag, i, rate=rate)
    for i in range(counts["SpeechRule"]):
        yield rule(tag, i)
    for i in range(counts["Webhook"]):
        yield hook(tag, i, counts["SpeechRule"])


def write_estate(root: Path, total: int, *, rate: float = 1.0) -> Estate:
    """Write ``total`` objects under ``root`` (created; its name tags every object name).

    ``rate`` is every voice profile's rate: write the estate again with another rate to
    get an estate whose voice profiles all need an update.
    """
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("estate-*.yaml"):
        old.unlink()
    counts = split(total)
    docs = list(documents(root.name, counts, rate=rate))
    for start in range(0, len(docs), PER_FILE):
        chunk = docs[start : start + PER_FILE]
        path = root / f"estate-{start // PER_FILE:04d}.yaml"
        path.write_text(yaml.dump_all(chunk, Dumper=_DUMPER, sort_keys=False, width=200, allow_unicode=True))
    return Estate(root=root, counts=counts)


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "reconciler/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}
