"""Valid request bodies of every kind, built through each Kind so the tests name no field rules themselves."""

from __future__ import annotations

from typing import Any

from reconciler.kinds import Kind, get_kind

VOICE = get_kind("VoiceProfile")
RULE = get_kind("SpeechRule")
HOOK = get_kind("Webhook")


def body_for(i: int) -> tuple[Kind, dict[str, Any]]:
    """The i-th object of a mixed set: voice profiles, speech rules and webhooks in turn."""
    match i % 3:
        case 0:
            spec: dict[str, Any] = {"language": "en-GB", "voice": "azure-ryan", "engine": "azure_tts",
                                    "pitch": (i % 10) - 5.0, "customParams": {"style": "calm", "n": i}}
            return VOICE, VOICE.api_body(f"Voice {i:04d}", spec)
        case 1:
            spec = {"description": f"rule {i}", "phrases": [{"phrase": f"refund {i}"},
                                                             {"phrase": "cancel.*order", "matchType": "regex"}],
                    "scoring": [{"type": "additive", "value": 0.5}], "tags": ["billing", f"t{i}"]}
            return RULE, RULE.api_body(f"Rule {i:04d}", spec)
        case _:
            spec = {"requestUrl": f"https://hooks.example.org/{i}", "eventFilters": [{"event": "rules.updated"}]}
            if i % 2:
                spec |= {"authScheme": "bearer", "authSecret": f"secret-{i}"}
            return HOOK, HOOK.api_body(f"Hook {i:04d}", spec)
