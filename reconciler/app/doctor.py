"""``reconciler doctor``: is the target reachable, do the credentials work, may this client
do what the declared kinds need? Told before the first apply, not by a ``403`` halfway.

Client-credentials clients get their rights from roles (permissions such as
``processautomation:trigger:view``), not from OAuth scopes, so the check lists the
client's own permissions the way the platform offers it: ``GET /api/v2/tokens/me`` (the
token's OAuth client, and its org, shown: the org a plan records), ``GET /api/v2/oauth/clients/{id}`` (its roles) and
``GET /api/v2/authorization/roles/{roleId}`` (each role's permission policies), and
compares them with ``Kind.permissions``. Where that listing is not available (a ``404``
from a target that lacks it, or a ``403``: listing roles needs ``oauth:client:view`` and
``authorization:role:view``), it says so and falls back to probing: one read of each
declared kind's collection and reference listings, which shows missing read rights but
cannot show write rights. A client with more than :data:`MAX_ROLES` roles (a real one has a
handful) is probed too, with a note: reading each role is a paced request of its own.
Every id the server names goes into a path as one quoted segment (``path_segment``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from reconciler.app.connect import RunOptions, client_for, org_of
from reconciler.core.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionError_,
    ServerError,
    TransportError,
)
from reconciler.core.urls import path_segment
from reconciler.genesys import GenesysClient
from reconciler.kinds import REGISTRY, Kind
from reconciler.manifests import load_manifests
from reconciler.manifests.placeholders import UnsetAllowed

TOKEN_INFO = "/api/v2/tokens/me"
OAUTH_CLIENT = "/api/v2/oauth/clients/{clientId}"
ROLE = "/api/v2/authorization/roles/{roleId}"
#: the most roles doctor reads, one request each: a real client has a handful, and past this
#: many the reads would take minutes (a role a request, paced) for a check meant to be quick
MAX_ROLES = 50


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, whether it passed, and what was seen."""

    check: str
    ok: bool
    detail: str
    #: the kind a probe read was for (a refused read names the kind's read permissions)
    kind: str | None = None


@dataclass(frozen=True)
class DoctorRun:
    """The findings, the permissions missing (named as the platform names them, alternatives any one of which
    would do joined by ``or``) and the kinds checked."""

    findings: tuple[Finding, ...]
    missing: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    #: ``listed``: the client's permissions were read; ``probed``: only reads were tried
    method: str = "probed"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.missing and all(f.ok for f in self.findings)


#: permissions any one of which a client must hold: a kind's reads (the platform's "Requires ANY
#: permissions": a trigger's listing serves ``:edit`` as well as ``:view``), or one write permission
Requirement = tuple[str, ...]


def required_permissions(kinds: Iterable[Kind]) -> dict[Requirement, tuple[str, ...]]:
    """Requirement -> the kinds that need it (read-only and read-write alike), in kind order.

    A kind's read permissions are one requirement, any of them sufficing, so an org whose
    roles give a trigger ``:edit`` without ``:view`` is not told it lacks what the platform
    would serve; each write permission is one of its own (a write needs its own action).
    """
    out: dict[Requirement, list[str]] = {}
    for kind in kinds:
        reads = (kind.permissions.read,) if kind.permissions.read else ()
        for requirement in (*reads, *((p,) for p in kind.permissions.write)):
            out.setdefault(requirement, []).append(kind.name)
    return {requirement: tuple(names) for requirement, names in out.items()}


def shown(requirement: Requirement) -> str:
    """A requirement as the report names it: ``a`` or ``a or b``."""
    return " or ".join(requirement)


def granted(policies: Iterable[Mapping[str, Any]], permission: str) -> bool:
    """Whether a role's policies grant ``domain:entity:action`` (``*`` matching anything in its place)."""
    domain, entity, action = (permission.split(":") + ["", "", ""])[:3]
    for policy in policies:
        actions = [str(a) for a in policy.get("actionSet") or []]
        if (
            str(policy.get("domain")) in (domain, "*")
            and str(policy.get("entityName")) in (entity, "*")
            and (action in actions or "*" in actions)
        ):
            return True
    return False


class _TooManyRoles(Exception):
    """The OAuth client lists more roles than doctor reads one by one."""


def _role_ids(oauth: Mapping[str, Any]) -> list[str]:
    """The distinct role ids of an OAuth client (``roleIds`` and ``roleDivisions``), at most :data:`MAX_ROLES`."""
    role_ids, divisions = oauth.get("roleIds"), oauth.get("roleDivisions")
    listed = chain(
        role_ids if isinstance(role_ids, list) else (),
        (d.get("roleId") for d in (divisions if isinstance(divisions, list) else ()) if isinstance(d, dict)),
    )
    found: dict[str, None] = {}
    for role_id in listed:
        if isinstance(role_id, str | int) and not isinstance(role_id, bool) and str(role_id):
            found[str(role_id)] = None
            if len(found) > MAX_ROLES:
                raise _TooManyRoles
    return sorted(found)


async def _role_policies(client: GenesysClient) -> list[dict[str, Any]]:
    """Every permission policy of every role of this token's OAuth client."""
    token = await client.token_info()  # the one tokens/me answer of this client: the org finding reads it too
    oauth_client = token.get("OAuthClient") or token.get("oAuthClient")
    client_id = str(oauth_client.get("id") or "") if isinstance(oauth_client, dict) else ""
    if not client_id:
        raise NotFoundError(404, "not.found", "the token names no OAuth client", method="GET", path=TOKEN_INFO)
    oauth = await client.read_object(OAUTH_CLIENT.replace("{clientId}", path_segment(client_id)), OAUTH_CLIENT)
    policies: list[dict[str, Any]] = []
    for role_id in _role_ids(oauth):
        role = await client.read_object(ROLE.replace("{roleId}", path_segment(role_id)), ROLE)
        listed = role.get("permissionPolicies")
        policies.extend(p for p in (listed if isinstance(listed, list) else []) if isinstance(p, dict))
    return policies


async def _probe(client: GenesysClient, kind: Kind) -> list[Finding]:
    """One read of the kind's collection and of each reference listing its live checks need.

    Each is asked as the plan asks it, one entry a page: a reference read without paging
    (``paging="none"``: the topic dialects) gets no ``pageSize``, which the platform refuses there.
    """
    one = {"pageSize": "1"}
    reads = [(kind.listing_path, f"read {kind.name}", {} if kind.singleton is not None else one)]
    reads += [
        (r.path, f"read {r.path} ({kind.name} plan checks)", {**r.params, **({} if r.paging == "none" else one)})
        for c in kind.live_checks
        for r in c.reads
    ]
    findings = []
    for path, what, params in reads:
        try:
            await client.read_object(path, params=params)
        except (PermissionError_, NotFoundError) as error:
            findings.append(Finding(what, False, f"HTTP {error.status} {error.code}: {error.api_message}", kind.name))
        else:
            findings.append(Finding(what, True, f"GET {path} answered", kind.name))
    return findings


async def _org_finding(client: GenesysClient) -> Finding:
    """Which org the credentials reach: the org a plan made with them records, and ``apply FILE`` checks.

    Not reachable (a target without ``tokens/me``, which needs no permission: SDK
    ``TokensApi.get_tokens_me``) is a failed finding: ``plan`` could not record the org either.
    """
    try:
        org = await org_of(client)
    except (NotFoundError, PermissionError_, ServerError) as error:
        return Finding("org", False, f"{error}; plan records the org a plan is for, and cannot without it")
    return Finding("org", True, org.described)


async def diagnose(paths: Sequence[str], options: RunOptions, *, env: Mapping[str, str] | None = None) -> DoctorRun:
    """Reach the target, log in, list or probe this client's rights against the declared kinds."""
    env = os.environ if env is None else env
    # Only which kinds are declared matters here, never a value: like validate and drift, doctor runs
    # where the apply's secrets are not set (a read-only CI job checking its access).
    manifests = load_manifests(paths, env=UnsetAllowed(env))
    kinds = [REGISTRY[name] for name in dict.fromkeys(obj.kind for obj in manifests.objects)]
    names = tuple(k.name for k in kinds)
    findings: list[Finding] = []
    notes: list[str] = []
    policies: list[dict[str, Any]] | None = None
    async with client_for(options) as client:
        try:
            policies = await _role_policies(client)
        except (NotFoundError, PermissionError_) as error:
            notes.append(
                f"the client's permissions could not be listed (HTTP {error.status} {error.code} on {error.path}); "
                "checked by probing reads instead: write permissions are not verified"
            )
        except _TooManyRoles:
            notes.append(
                f"the client's permissions were not listed: its OAuth client has more than {MAX_ROLES} roles, "
                "each a request to read; checked by probing reads instead: write permissions are not verified"
            )
        except (TransportError, InvalidRequestError) as error:  # unreachable, or a request h11 would not send
            return DoctorRun((Finding("target", False, f"{options.target.describe()}: {error}"),), kinds=names)
        except AuthenticationError as error:
            findings = [Finding("target", True, options.target.describe()), Finding("credentials", False, str(error))]
            return DoctorRun(tuple(findings), kinds=names)
        # the token was issued and used: the target answered and the credentials work
        findings += [Finding("target", True, options.target.describe()), Finding("credentials", True, "a token works"),
                     await _org_finding(client)]
        for kind in kinds:
            findings.extend(await _probe(client, kind))
    required = required_permissions(kinds)
    if policies is not None:
        lacking = [r for r in required if not any(granted(policies, p) for p in r)]
    else:
        refused = {f.kind for f in findings if not f.ok and f.kind is not None}
        # kinds may share a permission (TtsSettings, Integration, IntegrationCredential): each is named once
        lacking = list(dict.fromkeys(k.permissions.read for k in kinds if k.name in refused and k.permissions.read))
    for requirement in lacking:
        findings.append(
            Finding(f"permission {shown(requirement)}", False, "missing; needed by " + ", ".join(required[requirement]))
        )
    return DoctorRun(
        findings=tuple(findings),
        missing=tuple(shown(r) for r in lacking),
        kinds=names,
        method="listed" if policies is not None else "probed",
        notes=tuple(notes),
    )


__all__ = ["DoctorRun", "Finding", "Requirement", "diagnose", "granted", "required_permissions", "shown"]
