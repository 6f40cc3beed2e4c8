"""File and variable names for exported objects: stable, portable and distinct.

A name comes from the object's own name, so that a re-export of the same org writes the
same files; collisions are settled deterministically by input order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath

from reconciler.manifests.settings import SETTINGS_FILE

SLUG_MAX = 80
VARIABLE_SLUG_MAX = 48



def kebab(kind_name: str) -> str:
    """``VoiceProfile`` -> ``voice-profile``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", kind_name).lower()


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", plain)


#: stems a manifest file must not have: ``reconciler.yaml`` is the project's settings file at any
#: depth, so an object named "Reconciler" written there would be read as settings, not as itself
RESERVED_STEMS = frozenset({PurePosixPath(SETTINGS_FILE).stem})


def slug(name: str, limit: int = SLUG_MAX) -> str:
    """A file-name-safe, lowercase form of a name (``object`` when nothing is left; never a reserved stem)."""
    text = "-".join(_ascii_words(name)).lower()[:limit].strip("-") or "object"
    return f"{text}-object" if text in RESERVED_STEMS else text


def variable_name(kind_name: str, name: str, field: str) -> str:
    """``Webhook``, ``CRM sync``, ``authSecret`` -> ``WEBHOOK_CRM_SYNC_AUTH_SECRET``."""
    middle = "_".join(_ascii_words(name)).upper()[:VARIABLE_SLUG_MAX].strip("_") or "OBJECT"
    head = kebab(kind_name).replace("-", "_").upper()
    tail = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field).upper()
    return f"{head}_{middle}_{tail}"


def unique_names(wanted: Sequence[str], separator: str) -> list[str]:
    """Make ``wanted`` distinct: later duplicates get ``-2``, ``-3``… avoiding every wanted name.

    Deterministic for a given input order; the first holder of a name keeps it.
    """
    reserved = set(wanted)
    used: set[str] = set()
    out: list[str] = []
    for name in wanted:
        candidate, n = name, 1
        while candidate in used or (candidate != name and candidate in reserved):
            n += 1
            candidate = f"{name}{separator}{n}"
        used.add(candidate)
        out.append(candidate)
    return out
