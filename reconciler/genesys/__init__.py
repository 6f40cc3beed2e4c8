"""The Genesys Cloud API client: configuration, tokens, pacing, retries and safe writes.

``resolve_target`` turns flags and ``GENESYSCLOUD_*`` variables into a :class:`Target`;
``open_client(target, transport=...)`` gives a :class:`GenesysClient` (a real org, or
whatever transport the caller injects: the app layer wires the in-process sandbox).
"""

from __future__ import annotations

from reconciler.genesys.client import GenesysClient, WriteResult, open_client
from reconciler.genesys.config import REGIONS, Target, login_url_for, region_api_url, resolve_target
from reconciler.genesys.identity import OrgIdentity
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.stats import ClientStats
from reconciler.genesys.writes import SameContent

__all__ = [
    "REGIONS",
    "ClientLimits",
    "ClientStats",
    "GenesysClient",
    "OrgIdentity",
    "SameContent",
    "Target",
    "WriteResult",
    "login_url_for",
    "open_client",
    "region_api_url",
    "resolve_target",
]
