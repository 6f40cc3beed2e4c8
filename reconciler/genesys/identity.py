"""Which org the client's token belongs to: ``GET /api/v2/tokens/me``, asked once per client.

A saved plan records the org it was made for, and apply refuses to carry it out in another
org: the API URL names only a region, which many orgs share (a dev and a prod org, or a
served sandbox restarted on another database at the same address).

Why ``tokens/me`` and not ``GET /api/v2/organizations/me``: both need no permission (SDK
``TokensApi.get_tokens_me`` and ``OrganizationApi.get_organizations_me``, "Requires NO
permissions" in platform-client-sdk-python ``build/docs/TokensApi.md`` and
``OrganizationApi.md``), but ``TokenInfo`` also names the token's ``OAuthClient``, which
``reconciler doctor`` reads to list the client's roles; one answer serves both, so a command
asks it once (:class:`TokenIdentity` keeps it for the client's life).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from reconciler.core.errors import ApiError
from reconciler.core.visible import control
from reconciler.genesys.answers import invalid, json_object
from reconciler.genesys.session import Session

TOKEN_INFO = "/api/v2/tokens/me"
#: an org name longer than this is cut short where it is shown (a real one is a few words)
_NAME_MAX = 200
#: an org id is a UUID; one longer than this is no id the platform gave
_ID_MAX = 128


@dataclass(frozen=True)
class OrgIdentity:
    """``TokenInfo.organization``: the org's id (what identifies it) and its name (what people know it by)."""

    id: str
    name: str | None = None


class TokenIdentity:
    """The answer of ``GET /api/v2/tokens/me``, read at the first ask and kept: one request per client."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._answer: tuple[httpx.Response, dict[str, Any]] | None = None
        #: a failed first ask, raised again rather than asked again (doctor reports it, then asks the org)
        self._failure: Exception | None = None
        # concurrent first asks (doctor's probes, a plan's reads) wait for the one request
        self._lock = anyio.Lock()

    async def _read(self) -> tuple[httpx.Response, dict[str, Any]]:
        async with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._answer is None:
                try:
                    response, _ = await self._session.call("GET", TOKEN_INFO, TOKEN_INFO)
                    self._answer = response, json_object(response, "GET", TOKEN_INFO)
                except ApiError as exc:
                    self._failure = exc
                    raise
            return self._answer

    async def token_info(self) -> dict[str, Any]:
        """The ``TokenInfo`` object (``organization``, ``OAuthClient``...), as the server answered it."""
        return (await self._read())[1]

    async def org(self) -> OrgIdentity:
        """The org the token belongs to; a :class:`~reconciler.core.errors.ServerError` naming the request
        when the answer names none (the platform always does: a proxy's or a stand-in's answer)."""
        response, answer = await self._read()
        return org_of(answer, lambda problem: invalid(response, "GET", TOKEN_INFO, problem))


def org_of(answer: dict[str, Any], refuse: Callable[[str], Exception]) -> OrgIdentity:
    """``answer["organization"]`` as an :class:`OrgIdentity`; ``refuse(problem)`` is raised without a usable id.

    The id is compared, so it is taken whole or refused (never cut short or escaped into
    another id); the name is only shown, so it is kept to one line and a bounded length.
    """
    organization = answer.get("organization")
    if not isinstance(organization, dict):
        raise refuse("the answer names no organization (TokenInfo.organization)")
    org_id, name = organization.get("id"), organization.get("name")
    if not isinstance(org_id, str) or not org_id.strip() or len(org_id) > _ID_MAX or control(org_id) != org_id:
        raise refuse("the answer's organization has no usable id (TokenInfo.organization.id)")
    shown = control(name)[:_NAME_MAX] if isinstance(name, str) and name.strip() else None
    return OrgIdentity(org_id, shown)


__all__ = ["TOKEN_INFO", "OrgIdentity", "TokenIdentity", "org_of"]
