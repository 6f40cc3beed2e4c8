"""Defence in depth against secrets in the audit trail.

The executor already hands the trail masked field changes, but an audit log is kept for
years and copied to other systems, so the trail masks again before anything is written:

- a value under a field named in any kind's ``write_only`` (``authSecret``), an
  ``Authorization`` header, or any key that names a secret (``…secret…``,
  ``…password…``, ``…token…``) becomes ``(sensitive)``, wherever it sits: as a change
  ``path`` segment or as a key inside a ``before``/``after`` value;
- a change marked ``"sensitive": true`` keeps neither value;
- known secret *values* (the resolved ``${env:…}`` values the caller passes, and every
  secret the process has remembered: the OAuth client secret, each access token) are cut
  out of every string of the record, error messages and correlation ids included, in every
  form a server may echo them (JSON-escaped, URL-encoded, base64: :mod:`reconciler.core.secrets`).

The read-only flags that stand in for write-only fields (``authSecretSet``) are kept:
they say *that* a secret is set or changed, never what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.core.secrets import (
    MIN_SECRET_LENGTH,
    all_forms,
    remembered_forms,
    remembered_values,
    replace_forms,
)
from reconciler.manifests.desired import SENSITIVE

_SCALARS = frozenset((bool, int, float))
_SEGMENT = re.compile(r"[.\[\]'\"]+")
_SECRETISH = ("secret", "password", "passwd", "token", "authorization", "apikey", "api-key", "api_key")
#: how many keys a redactor remembers the verdict on (records use a few dozen; arbitrary values could use more)
_KEYS_KEPT = 4096
#: a secret value shorter than this is not searched for: it would mangle ordinary text
MIN_SECRET_VALUE_LENGTH = MIN_SECRET_LENGTH


def _kind_field_names() -> tuple[frozenset[str], frozenset[str]]:
    from reconciler.kinds import KINDS

    write_only = frozenset(name.casefold() for kind in KINDS for name in kind.write_only)
    flags = frozenset(flag.casefold() for kind in KINDS for flag in kind.write_only.values())
    return write_only, flags


class Redactor:
    """Masks secrets in audit record fields; built once per trail."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._write_only, self._flags = _kind_field_names()
        self._values = [v for v in secret_values if isinstance(v, str)]
        # every form a server may have echoed (JSON-escaped, URL-encoded...), longest first
        self._forms = all_forms(self._values, min_length=MIN_SECRET_VALUE_LENGTH)
        #: the process's remembered secrets (the OAuth client secret, tokens: core.secrets) merged in so far
        self._merged: tuple[str, ...] = ()
        self._keys: dict[str, bool] = {}
        self._paths: dict[str, bool] = {}

    def is_secret_key(self, key: str) -> bool:
        known = self._keys.get(key)  # records repeat the same few keys: each is judged once
        if known is None:
            folded = str(key).casefold()
            known = folded not in self._flags and (
                folded in self._write_only or any(word in folded for word in _SECRETISH)
            )
            if len(self._keys) < _KEYS_KEPT:
                self._keys[key] = known
        return known

    def path_is_secret(self, path: str) -> bool:
        known = self._paths.get(path)  # a create's changes repeat its kind's few field paths
        if known is None:
            known = any(self.is_secret_key(segment) for segment in _SEGMENT.split(str(path)) if segment)
            if len(self._paths) < _KEYS_KEPT:
                self._paths[path] = known
        return known

    def changes(self, changes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Field changes with every secret value masked."""
        out: list[dict[str, Any]] = []
        for change in changes:
            item: dict[str, Any] = self.value(change)  # every field, as :meth:`value` treats any record field
            if bool(change.get("sensitive")) or self.path_is_secret(str(change.get("path", ""))):
                for side in ("before", "after"):
                    if side in item:
                        item[side] = self._mask(change[side])
            out.append(item)
        return out

    def value(self, value: Any) -> Any:
        """``value`` with secret keys masked at any depth and known secret values cut out.

        The exact types of JSON values first: this runs for every value of every record,
        and ``isinstance`` against ``Mapping`` is an ABC check. Other types follow the same rules.
        """
        kind = type(value)
        if kind is str:
            return self.text(value)
        if value is None or kind in _SCALARS:  # most of a record: nothing to look into
            return value
        if kind is dict:
            return self._mapping(value)
        if kind is list or kind is tuple:
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return self._mapping(value)
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def _mapping(self, value: Mapping[Any, Any]) -> dict[str, Any]:
        keys, out = self._keys, {}
        for k, v in value.items():
            key = str(k)
            secret = keys.get(key)  # is_secret_key's own memory, without the call
            if secret is None:
                secret = self.is_secret_key(key)
            out[key] = self._mask(v) if secret else self.value(v)
        return out

    def text(self, text: str) -> str:
        if remembered_forms() is not self._merged:  # a token issued since, say: one identity check a string
            self._merged = remembered_forms()
            self._forms = all_forms([*self._values, *remembered_values()], min_length=MIN_SECRET_VALUE_LENGTH)
        return replace_forms(text, self._forms, replacement=SENSITIVE)

    @staticmethod
    def _mask(value: Any) -> Any:
        return None if value is None else SENSITIVE
