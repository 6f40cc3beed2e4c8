"""Where the reconciler talks to, and as whom: settings resolved once, checked before any request.

The names are those of Genesys's own Terraform provider (CX as Code), so an
environment that already drives Terraform drives the reconciler unchanged:
``GENESYSCLOUD_OAUTHCLIENT_ID``, ``GENESYSCLOUD_OAUTHCLIENT_SECRET``,
``GENESYSCLOUD_REGION``, plus ``GENESYSCLOUD_API_URL`` to point at any API base (a
served sandbox on 127.0.0.1, a proxy). Command-line flags override the environment.

Everything that can be wrong with the settings is found here and raised as one
:class:`~reconciler.core.errors.ConfigError`, so that a typo never reaches the network and
a secret never reaches a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reconciler.core.errors import ConfigError
from reconciler.core.secrets import remember
from reconciler.core.suggest import closest
from reconciler.core.urls import check_url

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_API_URL = "GENESYSCLOUD_API_URL"

#: Region -> domain, exactly the contract's table (which follows the official SDK).
REGIONS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "eu-west-1": "mypurecloud.ie",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "eu-central-1": "mypurecloud.de",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "ap-northeast-2": "apne2.pure.cloud",
    "eu-west-2": "euw2.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "us-east-2": "use2.us-gov-pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "eu-central-2": "euc2.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
}

#: The in-process sandbox: its URL never leaves the process, its credentials are its defaults.
SANDBOX_API_URL = "http://sandbox.local"
SANDBOX_CLIENT_ID = "sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
DEFAULT_SANDBOX_DB = Path(".reconciler") / "sandbox.db"

TargetKind = Literal["sandbox", "genesys"]


@dataclass(frozen=True)
class Target:
    """One resolved place to read and write: a Genesys Cloud org or the sandbox.

    ``client_secret`` is kept out of ``repr``/``str`` so that a target printed in a
    log or a traceback never shows it.
    """

    kind: TargetKind
    api_url: str
    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    sandbox_db: Path | None = None

    def describe(self) -> str:
        """Human text naming the target, for plan headers and prompts."""
        if self.kind == "sandbox":
            return f"sandbox {self.sandbox_db}"
        return f"Genesys Cloud {self.api_url}"

    @property
    def identity(self) -> str:
        """A stable string that a saved plan records, to refuse applying it elsewhere."""
        if self.kind == "sandbox":
            db = self.sandbox_db or DEFAULT_SANDBOX_DB
            return "sandbox:" + str(db.expanduser().resolve())
        return self.api_url


def region_api_url(region: str) -> str:
    """``eu-west-1`` -> ``https://api.mypurecloud.ie``; ConfigError with a suggestion if unknown."""
    key = region.strip().lower()
    if key in REGIONS:
        return f"https://api.{REGIONS[key]}"
    # The SDK's own spelling (eu_west_1) and a bare domain (mypurecloud.ie) are accepted too.
    if key.replace("_", "-") in REGIONS:
        return f"https://api.{REGIONS[key.replace('_', '-')]}"
    if key in REGIONS.values():
        return f"https://api.{key}"
    close = closest(key, REGIONS)
    hint = f"; did you mean {close!r}?" if close else f"; known regions: {', '.join(REGIONS)}"
    raise ConfigError(f"unknown Genesys Cloud region {region!r}{hint}")


def login_url_for(api_url: str) -> str:
    """The login base the SDK derives from an API base: ``//api.`` -> ``//login.``, else the same host."""
    return re.sub(r"//api\.", "//login.", api_url, count=1)


def normalise_api_url(api_url: str, *, source: str) -> str:
    """Check an API base URL and drop its trailing slash; refuse plain http off loopback.

    A URL carrying ``user:password@`` is refused, and never shown with them: httpx would
    send them as Basic auth in place of the token, and every line naming the target would
    print them.
    """
    text = check_url(api_url, source=source, example="https://api.mypurecloud.ie")
    return text.rstrip("/")


def resolve_target(
    *,
    target: str | None = None,
    region: str | None = None,
    api_url: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    sandbox_db: str | Path | None = None,
    env: Mapping[str, str] = os.environ,
) -> Target:
    """Combine flags (the keyword arguments) and the environment into one checked :class:`Target`.

    Rules, in order:

    * The flags choose the endpoint as a whole: ``--region``/``--api-url`` given on the
      command line override *both* endpoint variables of the environment, so a shell
      that exports ``GENESYSCLOUD_REGION`` can still aim one command at a local URL.
      Within one layer, a region and an API URL that disagree are an error.
    * Without ``--target``, the target is Genesys Cloud as soon as a client id, a
      region or an API URL is set (flag or environment), and the sandbox otherwise. A
      region without credentials is therefore "credentials missing", never a silent
      switch to the sandbox; nor is a ``GENESYSCLOUD_*`` variable that is set but empty
      (an error, unless ``--sandbox-db`` asks for the sandbox).
    * ``--target sandbox`` ignores Genesys settings from the environment but refuses
      Genesys flags (they would be silently unused).
    """
    flag_endpoint = _endpoint(region, api_url, layer="flags", region_name="--region", url_name="--api-url")
    env_endpoint = _endpoint(
        _blank_to_none(env.get(ENV_REGION)),
        _blank_to_none(env.get(ENV_API_URL)),
        layer="environment",
        region_name=ENV_REGION,
        url_name=ENV_API_URL,
    )
    cid, _ = _pick(client_id, "--client-id", env, ENV_CLIENT_ID)
    secret, secret_name = _pick(client_secret, "--client-secret", env, ENV_CLIENT_SECRET)

    chosen = (target or "").strip().lower() or None
    if chosen not in (None, "sandbox", "genesys"):
        raise ConfigError(f"unknown target {target!r}: use 'sandbox' or 'genesys'")
    if chosen is None:
        chosen = "genesys" if (cid or flag_endpoint or env_endpoint) else "sandbox"
        if chosen == "sandbox" and not sandbox_db:
            _refuse_blank_settings(env)

    if chosen == "sandbox":
        given = [
            n
            for n, v in (
                ("--region", region),
                ("--api-url", api_url),
                ("--client-id", client_id),
                ("--client-secret", client_secret),
            )
            if _blank_to_none(v)
        ]
        if given:
            raise ConfigError(
                f"{', '.join(given)} cannot be used with the sandbox target "
                "(for a served sandbox use --target genesys --api-url http://127.0.0.1:PORT)"
            )
        db = Path(sandbox_db) if sandbox_db else DEFAULT_SANDBOX_DB
        return Target(
            kind="sandbox",
            api_url=SANDBOX_API_URL,
            login_url=SANDBOX_API_URL,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            sandbox_db=db,
        )

    if sandbox_db:
        raise ConfigError("--sandbox-db only applies to the sandbox target")
    base = flag_endpoint or env_endpoint
    if base is None:
        raise ConfigError(
            f"no Genesys Cloud region: set {ENV_REGION} (e.g. eu-west-1) or {ENV_API_URL}, "
            "or pass --region / --api-url"
        )
    if cid is None:
        hint = f" ({secret_name} is set, but not the id)" if secret else ""
        raise ConfigError(f"{ENV_CLIENT_ID} (or --client-id) is not set: Genesys Cloud needs an OAuth client{hint}")
    if secret is None:
        raise ConfigError(
            f"{ENV_CLIENT_SECRET} is not set: the OAuth client {cid!r} needs its secret (from the environment only)"
        )
    remember([secret], client_id=cid)  # the command line's last guard masks it in any error it prints
    return Target(kind="genesys", api_url=base, login_url=login_url_for(base), client_id=cid, client_secret=secret)


def _endpoint(region: str | None, api_url: str | None, *, layer: str, region_name: str, url_name: str) -> str | None:
    """The API base one layer (flags or environment) asks for, or None if it says nothing."""
    region, api_url = _blank_to_none(region), _blank_to_none(api_url)
    from_region = region_api_url(region) if region else None
    from_url = normalise_api_url(api_url, source=url_name) if api_url else None
    if from_region and from_url and from_region != from_url:
        raise ConfigError(
            f"{region_name} {region!r} ({from_region}) contradicts {url_name} {from_url} in the {layer}: "
            "give one of them"
        )
    return from_url or from_region


def _pick(flag: str | None, flag_name: str, env: Mapping[str, str], env_name: str) -> tuple[str | None, str]:
    """A flag wins over its environment variable; returns the value and where it came from."""
    value = _blank_to_none(flag)
    if value is not None:
        return value, flag_name
    return _blank_to_none(env.get(env_name)), env_name


def _refuse_blank_settings(env: Mapping[str, str]) -> None:
    """No target chosen and nothing set but blank ``GENESYSCLOUD_*`` variables: an error, not the sandbox.

    Why: a CI job's missing secret is an empty variable (``${{ secrets.X }}`` of a secret not
    set, or not passed to a fork's pull request). Read as unset, the command went quietly to
    the local sandbox, planned "create everything" against it and could pass a check; a
    variable that is there at all says a real org was meant. ``--target sandbox`` or
    ``--sandbox-db`` still chooses the sandbox whatever the environment holds.
    """
    blank = [name for name in (ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, ENV_API_URL)
             if name in env and _blank_to_none(env[name]) is None]
    if blank:
        verb, them = ("is", "it") if len(blank) == 1 else ("are", "them")
        raise ConfigError(
            f"{', '.join(blank)} {verb} set but empty (a missing CI secret?): "
            f"set {them} for Genesys Cloud, or pass --target sandbox for the local sandbox"
        )


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
