"""Target resolution: Terraform-provider variable names, flags over environment, errors before any request."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from reconciler.core.errors import ConfigError
from reconciler.genesys import REGIONS, Target, login_url_for, region_api_url, resolve_target

SECRET = "very-secret-value-42"
CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "cid", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


class TestRegions:
    def test_every_region_matches_the_official_sdk(self) -> None:
        # The SDK's own region table, read from its file: importing it through the package runs the package's
        # __init__, thousands of model modules (3 s, 14 s where no bytecode is cached), for one enum.
        package = importlib.util.find_spec("PureCloudPlatformClientV2")
        assert package is not None and package.submodule_search_locations, "the official SDK is not installed"
        source = Path(next(iter(package.submodule_search_locations)), "purecloud_region_hosts.py")
        spec = importlib.util.spec_from_file_location("sdk_region_hosts", source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)

        sdk = {member.name.replace("_", "-"): member.value for member in module.PureCloudRegionHosts}
        assert len(sdk) >= len(REGIONS)
        for region, domain in REGIONS.items():
            assert sdk[region] == f"https://api.{domain}"

    def test_table_holds_the_contract_regions(self) -> None:
        assert len(REGIONS) == 17
        assert REGIONS["eu-west-1"] == "mypurecloud.ie"
        assert REGIONS["us-east-2"] == "use2.us-gov-pure.cloud"

    def test_region_to_api_url(self) -> None:
        assert region_api_url("ap-southeast-2") == "https://api.mypurecloud.com.au"

    def test_unknown_region_suggests_the_closest(self) -> None:
        with pytest.raises(ConfigError, match="did you mean 'eu-west-1'"):
            region_api_url("euwest-1")

    def test_unknown_region_far_from_all_lists_them(self) -> None:
        with pytest.raises(ConfigError, match="known regions: us-east-1"):
            region_api_url("mars")


class TestLoginUrl:
    @pytest.mark.parametrize(
        ("api", "login"),
        [
            ("https://api.mypurecloud.ie", "https://login.mypurecloud.ie"),
            ("https://api.usw2.pure.cloud", "https://login.usw2.pure.cloud"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://gateway.example.com", "https://gateway.example.com"),
        ],
    )
    def test_derived_like_the_sdk(self, api: str, login: str) -> None:
        assert login_url_for(api) == login


class TestDefaultTarget:
    def test_sandbox_without_genesys_settings(self) -> None:
        target = resolve_target(env={})
        assert target.kind == "sandbox"
        assert target.sandbox_db == Path(".reconciler/sandbox.db")
        assert target.describe() == "sandbox .reconciler/sandbox.db"

    def test_genesys_when_client_id_is_set(self) -> None:
        target = resolve_target(env={**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"})
        assert target.kind == "genesys"
        assert target.api_url == "https://api.mypurecloud.ie"
        assert target.login_url == "https://login.mypurecloud.ie"
        assert target.client_id == "cid"
        assert target.describe() == "Genesys Cloud https://api.mypurecloud.ie"
        assert target.identity == "https://api.mypurecloud.ie"

    def test_region_alone_is_missing_credentials_not_a_silent_sandbox(self) -> None:
        with pytest.raises(ConfigError, match="GENESYSCLOUD_OAUTHCLIENT_ID"):
            resolve_target(env={"GENESYSCLOUD_REGION": "eu-west-1"})

    def test_blank_settings_without_a_target_are_an_error_not_a_silent_sandbox(self) -> None:
        """CI's missing secret is an empty variable: taken as unset, the command planned against the local sandbox."""
        blank = {"GENESYSCLOUD_OAUTHCLIENT_ID": "", "GENESYSCLOUD_OAUTHCLIENT_SECRET": " ", "GENESYSCLOUD_REGION": ""}
        with pytest.raises(ConfigError) as refused:
            resolve_target(env=blank)
        assert str(refused.value) == (
            "GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, GENESYSCLOUD_REGION are set but empty "
            "(a missing CI secret?): set them for Genesys Cloud, or pass --target sandbox for the local sandbox"
        )
        # asking for the sandbox, by --target or by its state file, still gets it
        assert resolve_target(target="sandbox", env=blank).kind == "sandbox"
        assert resolve_target(sandbox_db="s.db", env=blank).kind == "sandbox"
        # with --target genesys a blank setting is a missing one, named as such
        with pytest.raises(ConfigError, match="no Genesys Cloud region"):
            resolve_target(target="genesys", env=blank)

    def test_sandbox_identity_is_the_absolute_db_path(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "s.db", env={})
        assert target.identity == f"sandbox:{(tmp_path / 's.db').resolve()}"

    def test_explicit_sandbox_ignores_genesys_environment(self) -> None:
        target = resolve_target(target="sandbox", env={**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"})
        assert target.kind == "sandbox"


class TestFlagsOverrideEnvironment:
    def test_region_flag_wins(self) -> None:
        target = resolve_target(region="us-west-2", env={**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"})
        assert target.api_url == "https://api.usw2.pure.cloud"

    def test_api_url_flag_wins_over_environment_region(self) -> None:
        target = resolve_target(api_url="http://127.0.0.1:8080/", env={**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"})
        assert target.api_url == "http://127.0.0.1:8080"
        assert target.login_url == "http://127.0.0.1:8080"

    def test_credential_flags_win(self) -> None:
        target = resolve_target(client_id="flag-id", client_secret="flag-secret", region="eu-west-1", env=CREDS)
        assert (target.client_id, target.client_secret) == ("flag-id", "flag-secret")

    def test_api_url_from_environment(self) -> None:
        target = resolve_target(env={**CREDS, "GENESYSCLOUD_API_URL": "https://api.mypurecloud.de"})
        assert target.login_url == "https://login.mypurecloud.de"


class TestBadSettings:
    def test_region_and_api_url_contradicting_in_environment(self) -> None:
        env = {**CREDS, "GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_API_URL": "https://api.mypurecloud.de"}
        with pytest.raises(ConfigError, match="contradicts"):
            resolve_target(env=env)

    def test_region_and_api_url_agreeing_are_fine(self) -> None:
        env = {**CREDS, "GENESYSCLOUD_REGION": "eu-west-1", "GENESYSCLOUD_API_URL": "https://api.mypurecloud.ie/"}
        assert resolve_target(env=env).api_url == "https://api.mypurecloud.ie"

    def test_region_and_api_url_flags_contradicting(self) -> None:
        with pytest.raises(ConfigError, match="--region 'eu-west-1'"):
            resolve_target(region="eu-west-1", api_url="http://127.0.0.1:9", env=CREDS)

    def test_id_without_secret(self) -> None:
        with pytest.raises(ConfigError, match="GENESYSCLOUD_OAUTHCLIENT_SECRET"):
            resolve_target(env={"GENESYSCLOUD_OAUTHCLIENT_ID": "cid", "GENESYSCLOUD_REGION": "eu-west-1"})

    def test_secret_without_id(self) -> None:
        with pytest.raises(ConfigError, match="OAUTHCLIENT_ID") as info:
            resolve_target(region="eu-west-1", env={"GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET})
        assert SECRET not in str(info.value)

    def test_no_region_for_genesys(self) -> None:
        with pytest.raises(ConfigError, match="no Genesys Cloud region"):
            resolve_target(target="genesys", env=CREDS)

    def test_unknown_region_in_environment(self) -> None:
        with pytest.raises(ConfigError, match="did you mean 'us-east-1'"):
            resolve_target(env={**CREDS, "GENESYSCLOUD_REGION": "us-east1"})

    def test_unknown_target(self) -> None:
        with pytest.raises(ConfigError, match="unknown target 'prod'"):
            resolve_target(target="prod", env={})

    def test_genesys_flags_with_sandbox_target(self) -> None:
        with pytest.raises(ConfigError, match="--region cannot be used with the sandbox"):
            resolve_target(target="sandbox", region="eu-west-1", env={})

    def test_sandbox_db_with_genesys_target(self) -> None:
        with pytest.raises(ConfigError, match="--sandbox-db"):
            resolve_target(region="eu-west-1", sandbox_db="x.db", env=CREDS)

    @pytest.mark.parametrize("url", ["api.mypurecloud.ie", "ftp://api.mypurecloud.ie", "https://"])
    def test_malformed_api_url(self, url: str) -> None:
        with pytest.raises(ConfigError, match="not an absolute http"):
            resolve_target(api_url=url, env=CREDS)

    def test_plain_http_off_loopback_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="plain http"):
            resolve_target(api_url="http://api.mypurecloud.ie", env=CREDS)

    def test_query_in_api_url_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="query"):
            resolve_target(api_url="https://api.mypurecloud.ie/?x=1", env=CREDS)


class TestSecretStaysHidden:
    def test_not_in_repr_or_str(self) -> None:
        target = resolve_target(env={**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"})
        assert target.client_secret == SECRET
        for text in (repr(target), str(target), target.describe(), target.identity):
            assert SECRET not in text

    def test_target_is_frozen(self) -> None:
        target = Target(kind="genesys", api_url="https://a", login_url="https://a", client_id="i", client_secret="s")
        with pytest.raises(AttributeError):
            target.api_url = "https://b"  # type: ignore[misc]
