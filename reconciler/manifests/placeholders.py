"""Checking ``${env:…}`` / ``${ref:…}`` placeholders and standing in for them while validating.

The spec handed to the planner keeps its placeholders; but the contract's rules must
still run offline on the values they will become. So for validation only, each
placeholder is replaced: ``${env:NAME}`` by the variable's value, ``${ref:…}`` by a
plausible stand-in (a fixed UUID per object for ``id``, the declared value for another field).
Where no honest stand-in exists (unset variable, a field whose value is itself not
known), the path is marked *opaque* and rule errors there are not reported: the real
problem has been reported already.

Messages must never show an environment value, so every substituted path remembers
its text as written and the values to scrub.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from reconciler.core.jsonpath import JsonPath, iter_strings
from reconciler.core.keys import ObjectKey
from reconciler.core.secrets import MIN_SECRET_LENGTH, secret_forms
from reconciler.kinds import Kind
from reconciler.kinds.spec import HIDDEN
from reconciler.manifests.desired import ENV_NAME, PLACEHOLDER, REF_BODY, literal, tokens

#: namespace of the stand-in ids: one fixed UUID per referenced object, so that two
#: references to the same object compare equal and two to different ones do not
_ID_NAMESPACE = uuid.UUID("5b0f6f0e-2d55-4a59-9d0e-7b1f3f3c2a10")
WRITE_ONLY_FORM = re.compile(r"^\$\{env:(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")
#: where a placeholder may start: a ``${`` not escaped (``$${`` is the literal ``${``)
_START = re.compile(r"(?<!\$)\$\{")
#: the reconciler's own credential (``reconciler.genesys.config.ENV_CLIENT_SECRET``): never a value sent to the org
OWN_SECRETS = frozenset({"GENESYSCLOUD_OAUTHCLIENT_SECRET"})


def _own_secret(name: str) -> str:
    return (f"{name} is the reconciler's own client secret: a manifest never puts it in the org "
            "(it would be stored there and sent wherever the field points)")
SYNTAX_HINT = "write ${env:NAME} or ${ref:Kind/Name.field}"


class UnsetAllowed(dict[str, str]):
    """An environment in which an unset variable is not an issue (``validate`` without ``--check-env``).

    Why: like Terraform's ``validate``, the offline check needs no secret's value, so it runs in
    pre-commit hooks and on fork pull requests; an unset variable's path stays opaque (its rules
    are checked when plan runs with the value).
    """


def _unset(path: JsonPath, name: str, env: Mapping[str, str], result: Substitution) -> str:
    if not isinstance(env, UnsetAllowed):
        result.issues.append(PathIssue(path, f"environment variable {name} is not set"))
    return result.opaque_value(path)


@dataclass(frozen=True)
class PathIssue:
    """A placeholder problem at ``path`` inside the spec."""

    path: JsonPath
    message: str


def stand_in_id(key: ObjectKey) -> str:
    """The id an object is assumed to have while validating offline."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{key.kind}/{key.name.casefold()}"))


@dataclass
class Substitution:
    """The spec as validated, and what a message about it must not reveal."""

    value: Any
    _opaque_count: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    issues: list[PathIssue] = field(default_factory=list)
    #: paths whose value could not be stood in for honestly
    opaque: set[JsonPath] = field(default_factory=set)
    #: path -> (text as validated, text as written) for paths holding a placeholder
    written: dict[JsonPath, tuple[str, str]] = field(default_factory=dict)
    #: environment values used, to scrub from messages
    secrets: set[str] = field(default_factory=set)

    def opaque_value(self, path: JsonPath) -> str:
        """A distinct stand-in for a value nobody can know offline; marks ``path`` opaque."""
        self.opaque.add(path)
        return f"(unknown-{next(self._opaque_count)})"

    def as_written(self, loc: JsonPath, value: Any) -> Any:
        """``value`` (validated at ``loc``) as a message may show it: substituted text back as written.

        A :data:`~reconciler.kinds.spec.Shown` view for :meth:`Kind.validate_spec`. Why here and
        not by scrubbing the finished message: a message may cut a value short or JSON-escape it
        (``"p\\u00e4ss"``), and a secret so rendered no longer matches the secret. A value that
        holds no substituted text is shown as it is; one whose place cannot be matched to the
        texts written (a path pydantic tagged) is :data:`~reconciler.kinds.spec.HIDDEN`.
        """
        if not self.written:
            return value
        for path, (_, raw) in self.written.items():
            if loc[: len(path)] == path:  # the substituted text itself, or a part of it pydantic tagged
                return raw
        inside = {path[len(loc):]: raw for path, (_, raw) in self.written.items() if path[: len(loc)] == loc}
        if inside:
            return _put_back(value, inside)
        if any(path[:1] == loc[:1] for path in self.written):  # same field, places that do not line up
            return HIDDEN
        return value

    def scrub(self, path: JsonPath, message: str) -> str:
        """``message`` with every substituted value replaced by what was written."""
        if path in self.written:
            validated, raw = self.written[path]
            message = message.replace(repr(validated), repr(raw))
        for secret in sorted(self.secrets, key=len, reverse=True):
            # A quoted value is always scrubbed; a bare one (in any form it may be rendered in:
            # JSON-escaped, URL-encoded) only when long enough not to collide with the numbers
            # and words of the message itself. The second guard: values are shown as written.
            message = message.replace(repr(secret), "(sensitive)")
            if len(secret) >= MIN_SECRET_LENGTH:
                for form in secret_forms(secret):
                    message = message.replace(form, "(sensitive)")
        return message


def _put_back(value: Any, texts: Mapping[JsonPath, str]) -> Any:
    """``value`` with the text at each relative path of ``texts`` in place of what is there."""
    if () in texts:
        return texts[()]
    heads = {path[0] for path in texts}
    if isinstance(value, Mapping) and all(isinstance(h, str) and h in value for h in heads):
        shown: Any = {k: _put_back(v, _below(texts, k)) if k in heads else v for k, v in value.items()}
        parts = list(shown.values())
    elif isinstance(value, list) and all(isinstance(h, int) and 0 <= h < len(value) for h in heads):
        shown = parts = [_put_back(v, _below(texts, i)) if i in heads else v for i, v in enumerate(value)]
    else:
        return HIDDEN  # the shapes differ: show nothing rather than guess
    return HIDDEN if any(part is HIDDEN for part in parts) else shown


def _below(texts: Mapping[JsonPath, str], head: str | int) -> dict[JsonPath, str]:
    return {path[1:]: text for path, text in texts.items() if path[0] == head}


def syntax_problems(text: str, *, templated: bool = False) -> list[str]:
    """What is wrong with the placeholders in ``text`` (empty when they are well formed).

    ``templated``: the text is in the platform's own template language (``Kind.templated``),
    where a ``${`` not followed by ``env:`` or ``ref:`` is the platform's, not ours.
    """
    problems: list[str] = []
    for start in _START.finditer(text):
        if templated and not text.startswith(("env:", "ref:"), start.end()):
            continue
        match = PLACEHOLDER.match(text, start.start())
        if match is None:
            end = text.find("}", start.start())
            shown = text[start.start() : end + 1] if end != -1 else text[start.start() :]
            problems.append(f"malformed placeholder {_short(shown)!r}: {SYNTAX_HINT}")
        elif match["scheme"] == "env" and not ENV_NAME.match(match["body"]):
            problems.append(
                f"malformed placeholder {match.group(0)!r}: the variable name must match [A-Za-z_][A-Za-z0-9_]*"
            )
        elif match["scheme"] == "env" and match["body"] in OWN_SECRETS:
            problems.append(_own_secret(match["body"]))
        elif match["scheme"] == "ref" and not REF_BODY.match(match["body"]):
            problems.append(
                f"malformed reference {match.group(0)!r}: write ${{ref:Kind/Name.field}}, "
                "e.g. ${ref:SpeechRule/My rule.id}"
            )
    return problems


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


RefValue = Callable[[ObjectKey, str], "str | None"]
"""A declared field's value as text for a stand-in, or ``None`` when it is not known."""


def substitute(
    kind: Kind,
    spec: Mapping[str, Any],
    env: Mapping[str, str],
    ref_value: RefValue,
    *,
    placeholder_free: bool = False,
) -> Substitution:
    """Check the spec's placeholders and build the value to validate.

    ``placeholder_free``: the caller knows that no string of ``spec`` holds ``${``.
    """
    result = Substitution(value=None)
    replaced: dict[JsonPath, str] = {}
    strings = iter_strings(spec) if _may_need_substitution(kind, spec, placeholder_free) else iter(())
    for path, text in strings:
        top = path[0] if path else None
        if top in kind.write_only:
            if len(path) == 1 or (len(path) == 2 and isinstance(spec.get(str(top)), Mapping)):  # a field or a map
                replaced[path] = _write_only(path, text, env, result)
            continue
        if "${" not in text:  # neither a placeholder nor a malformed one
            continue
        templated = top in kind.templated
        problems = syntax_problems(text, templated=templated)
        result.issues.extend(PathIssue(path, p) for p in problems)
        if problems:
            replaced[path] = result.opaque_value(path)
            continue
        if not PLACEHOLDER.search(text):
            if (meant := literal(text, templated=templated)) != text:  # escapes only: validated as they read
                replaced[path] = meant
                result.written[path] = (meant, text)
            continue
        one = partial(_one, path=path, env=env, ref_value=ref_value, result=result)
        validated = tokens(templated).sub(one, text)
        replaced[path] = validated
        result.written[path] = (validated, text)
    for secret_field in kind.write_only:
        value = spec.get(secret_field)
        if value is not None and not _secret_form(value):
            result.issues.append(PathIssue((secret_field,), _literal_secret_message()))
            replaced[(secret_field,)] = result.opaque_value((secret_field,))
    result.value = _rebuild(spec, (), replaced) if replaced else spec  # validation never writes to it
    return result


def _may_need_substitution(kind: Kind, spec: Mapping[str, Any], placeholder_free: bool) -> bool:
    """False when no string of ``spec`` holds ``${`` and no write-only field is set: nothing to walk.

    Why ``repr``: a spec from the manifests holds only dicts, lists and scalars, whose
    ``repr`` never escapes ``$`` or ``{``; one C-speed pass over the text spares walking
    every path of the thousands of specs that hold no placeholder. Anything else is walked.
    """
    if type(spec) is not dict or any(name in spec for name in kind.write_only):
        return True
    return not placeholder_free and "${" in repr(spec)


def _secret_form(value: Any) -> bool:
    """A write-only field is text, or a map of names to text (``credentialFields`` of a credential)."""
    return isinstance(value, str) or (isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()))


def _literal_secret_message() -> str:
    return "must be ${env:NAME}; a literal secret does not belong in a manifest"


def _write_only(path: JsonPath, text: str, env: Mapping[str, str], result: Substitution) -> str:
    """A write-only field holds exactly ``${env:NAME}``, never the secret itself."""
    match = WRITE_ONLY_FORM.match(text)
    if match is None:
        result.issues.append(PathIssue(path, _literal_secret_message()))
        return result.opaque_value(path)
    name = match["name"]
    if name in OWN_SECRETS:
        result.issues.append(PathIssue(path, _own_secret(name)))
        return result.opaque_value(path)
    if name not in env:
        return _unset(path, name, env, result)
    if not _utf8(path, name, env[name], result):
        return result.opaque_value(path)
    if len(env[name]) < MIN_SECRET_LENGTH:
        result.issues.append(PathIssue(path, _too_short(name, env[name])))
        return result.opaque_value(path)
    result.secrets.add(env[name])
    result.written[path] = (env[name], text)
    return env[name]


def _too_short(name: str, value: str) -> str:
    """Why a write-only value under :data:`MIN_SECRET_LENGTH` characters is refused, without showing it.

    Why refuse: such a value cannot be masked. Searched for, it is found inside ordinary
    words (``pe***missions`` for ``r``), whose letters around the mask show it; not searched
    for (every masker skips values that short), a server echoing it gets it out. Neither the
    contract (``authSecret``: a string) nor the SDK (``Credential.credential_fields``:
    ``dict(str, str)``) states a minimum; this one is the reconciler's (docs/manifests.md).
    An empty value is most often a CI secret that is not set (``${{ secrets.X }}``).
    """
    if not value:
        return f"environment variable {name} is empty (a secret unset in CI?)"
    return (
        f"environment variable {name} holds {len(value)} character(s); a write-only secret must be at least "
        f"{MIN_SECRET_LENGTH} characters long, or it cannot be masked in output (it would be found inside "
        "ordinary words, which show it)"
    )


def _utf8(path: JsonPath, name: str, value: str, result: Substitution) -> bool:
    """Whether ``value`` is text; an issue (never showing it: it may be a secret) when it is not.

    Why: a variable whose bytes are not UTF-8 reaches Python with them as lone surrogates;
    masking it, printing the plan or sending the request then ended in a ``UnicodeEncodeError``
    traceback, from ``validate --check-env`` on.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        result.issues.append(PathIssue(path, f"environment variable {name} is not UTF-8 text; set it as UTF-8"))
        return False
    return True


def _one(
    match: re.Match[str], path: JsonPath, env: Mapping[str, str], ref_value: RefValue, result: Substitution
) -> str:
    if match["scheme"] is None:  # the escape ``$${``
        return "${"
    if match["scheme"] == "env":
        name = match["body"]
        if name not in env:
            return _unset(path, name, env, result)
        if not _utf8(path, name, env[name], result):
            return result.opaque_value(path)
        result.secrets.add(env[name])
        return env[name]
    parsed = REF_BODY.match(match["body"])
    assert parsed is not None  # syntax_problems ran first
    target = ObjectKey(parsed["kind"], parsed["name"])
    if parsed["field"] == "id":
        return stand_in_id(target)
    found = ref_value(target, parsed["field"])
    return result.opaque_value(path) if found is None else found


def _rebuild(value: Any, path: JsonPath, replaced: Mapping[JsonPath, str]) -> Any:
    if path in replaced:
        return replaced[path]
    if isinstance(value, Mapping):
        return {k: _rebuild(v, (*path, k), replaced) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebuild(v, (*path, i), replaced) for i, v in enumerate(value)]
    return value
