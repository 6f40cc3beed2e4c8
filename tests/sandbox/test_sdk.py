"""The official Genesys SDK (PureCloudPlatformClientV2) logs in to a served sandbox.

The SDK is imported inside the tests: it is large and slow to import.
"""

from __future__ import annotations

import httpx
import pytest

GRANT_HOST_CASES = [
    ("https://api.mypurecloud.ie", "https://login.mypurecloud.ie"),
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
]


@pytest.mark.parametrize(("api_host", "login_host"), GRANT_HOST_CASES)
def test_sdk_derives_the_login_host_as_the_contract_says(api_host: str, login_host: str) -> None:
    import PureCloudPlatformClientV2

    client = PureCloudPlatformClientV2.ApiClient(host=api_host)
    assert client.get_conf_url("login", api_host) == login_host


def test_sdk_obtains_a_token_through_its_own_client_credentials_call(served_sandbox) -> None:
    import PureCloudPlatformClientV2

    sandbox = served_sandbox()
    api = PureCloudPlatformClientV2.ApiClient(host=sandbox.url)
    returned = api.get_client_credentials_token(sandbox.options.client_id, sandbox.options.client_secret)
    assert returned is api and api.access_token
    # The token the SDK got is a working bearer token of the sandbox's API.
    response = httpx.get(f"{sandbox.url}/api/v2/webhooks", headers={"Authorization": f"Bearer {api.access_token}"})
    assert response.status_code == 200 and response.json()["total"] == 0
    stats = httpx.get(f"{sandbox.url}/__sandbox__/stats").json()
    assert stats["requests"]["POST /oauth/token"] == 1


def test_sdk_sees_bad_credentials_refused(served_sandbox) -> None:
    import PureCloudPlatformClientV2
    from PureCloudPlatformClientV2.rest import ApiException

    sandbox = served_sandbox()
    api = PureCloudPlatformClientV2.ApiClient(host=sandbox.url)
    with pytest.raises(ApiException) as caught:
        api.get_client_credentials_token(sandbox.options.client_id, "wrong")
    assert caught.value.status == 401
