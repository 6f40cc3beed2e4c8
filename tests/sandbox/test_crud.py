"""Create, read, update, delete: defaults, server-managed fields, versions, uniqueness,
write-only secrets, order of unordered lists, persistence."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import httpx
import pytest
from sandbox_data import assert_error, valid

from reconciler.core.canonical import canonical_json
from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.kinds import SERVER_MANAGED, Kind
from reconciler.sandbox import embedded_transport

pytestmark = pytest.mark.anyio
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
by_kind = pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
SECRET = "hunter2-never-shown"


@by_kind
class TestCreate:
    async def test_answer_is_the_stored_object_with_defaults_and_server_fields(self, api, kind: Kind) -> None:
        body = valid(kind)
        stored = await api.create(kind.collection, body)
        uuid.UUID(stored["id"])
        assert stored["version"] == 1
        assert ISO_UTC.match(stored["dateCreated"]) and stored["dateModified"] == stored["dateCreated"]
        assert stored["selfUri"] == f"{kind.collection}/{stored['id']}"
        for field, default in kind.defaults().items():
            if field not in body and field not in kind.unordered:
                assert stored[field] == default, field
        for field in body:
            assert field in stored
        for flag in kind.read_only:
            assert stored[flag] is False

    async def test_read_shows_what_create_answered(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        read = await api.get(f"{kind.collection}/{stored['id']}")
        assert read.status_code == 200
        assert read.json() == stored

    async def test_server_managed_fields_and_flags_in_the_body_are_ignored(self, api, kind: Kind) -> None:
        forged = {"id": "forged", "version": 42, "dateCreated": "2000-01-01T00:00:00.000Z",
                  "dateModified": "2000-01-01T00:00:00.000Z", "selfUri": "/elsewhere"}
        forged.update({flag: True for flag in kind.read_only})
        stored = await api.create(kind.collection, {**valid(kind), **forged})
        assert stored["id"] != "forged" and stored["version"] == 1
        assert stored["selfUri"].endswith(stored["id"]) and not stored["dateCreated"].startswith("2000")
        for flag in kind.read_only:
            assert stored[flag] is False
        assert set(SERVER_MANAGED) <= set(stored)

    async def test_names_are_unique_case_insensitively(self, api, kind: Kind) -> None:
        await api.create(kind.collection, valid(kind, name="Front Desk"))
        response = await api.post(kind.collection, json=valid(kind, name="FRONT desk"))
        assert_error(response, 409, "duplicate.name", "name")
        listing = await api.get(kind.collection)
        assert listing.json()["total"] == 1

    async def test_the_same_name_may_exist_in_another_kind(self, api, kind: Kind) -> None:
        for other in KINDS:
            await api.create(other.collection, valid(other, name="Shared"))
        assert (await api.get(kind.collection, params={"name": "shared"})).json()["total"] == 1


@by_kind
class TestReadAndDelete:
    async def test_unknown_id_is_404(self, api, kind: Kind) -> None:
        for object_id in (str(uuid.uuid4()), "not-a-uuid"):
            assert_error(await api.get(f"{kind.collection}/{object_id}"), 404, "not.found")
            assert_error(await api.delete(f"{kind.collection}/{object_id}"), 404, "not.found")

    async def test_delete_answers_204_and_the_object_is_gone(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        deleted = await api.delete(stored["selfUri"])
        assert deleted.status_code == 204 and deleted.content == b""
        assert_error(await api.get(stored["selfUri"]), 404, "not.found")
        assert_error(await api.delete(stored["selfUri"]), 404, "not.found")

    async def test_a_deleted_name_can_be_used_again(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        await api.delete(stored["selfUri"])
        again = await api.create(kind.collection, valid(kind))
        assert again["id"] != stored["id"]


@by_kind
class TestUpdate:
    async def test_update_bumps_version_and_keeps_identity(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        response = await api.put(stored["selfUri"], json={**stored, "name": "Renamed"})
        assert response.status_code == 200
        updated = response.json()
        assert updated["version"] == 2 and updated["name"] == "Renamed"
        assert updated["id"] == stored["id"] and updated["dateCreated"] == stored["dateCreated"]
        assert datetime.fromisoformat(updated["dateModified"]) >= datetime.fromisoformat(stored["dateModified"])
        assert (await api.get(stored["selfUri"])).json() == updated

    async def test_stale_version_is_409_version_mismatch(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        assert (await api.put(stored["selfUri"], json=stored)).status_code == 200
        response = await api.put(stored["selfUri"], json={**stored, "name": "Lost update"})
        assert_error(response, 409, "version.mismatch", "version")
        assert (await api.get(stored["selfUri"])).json()["name"] == stored["name"]

    @pytest.mark.parametrize("version", [..., "1", 1.5, True, None], ids=["missing", "string", "float", "bool", "null"])
    async def test_version_is_required_and_an_integer(self, api, kind: Kind, version) -> None:
        stored = await api.create(kind.collection, valid(kind))
        body = {k: v for k, v in stored.items() if k != "version"}
        if version is not ...:
            body["version"] = version
        assert_error(await api.put(stored["selfUri"], json=body), 400, "bad.request", "version")

    async def test_a_missing_version_is_named_with_every_other_bad_field(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        body = {k: v for k, v in stored.items() if k != "version"} | {"name": "", "unknownField": 1}
        response = await api.put(stored["selfUri"], json=body)
        assert_error(response, 400, "bad.request")
        assert {d["fieldName"] for d in response.json()["details"]} == {"version", "name", "unknownField"}

    async def test_update_of_unknown_id_is_404(self, api, kind: Kind) -> None:
        response = await api.put(f"{kind.collection}/{uuid.uuid4()}", json={**valid(kind), "version": 1})
        assert_error(response, 404, "not.found")

    async def test_update_may_not_take_another_objects_name(self, api, kind: Kind) -> None:
        await api.create(kind.collection, valid(kind, name="Taken"))
        mine = await api.create(kind.collection, valid(kind, name="Mine"))
        response = await api.put(mine["selfUri"], json={**mine, "name": "TAKEN"})
        assert_error(response, 409, "duplicate.name", "name")

    async def test_update_may_change_the_case_of_its_own_name(self, api, kind: Kind) -> None:
        mine = await api.create(kind.collection, valid(kind, name="Mine"))
        response = await api.put(mine["selfUri"], json={**mine, "name": "MINE"})
        assert response.status_code == 200 and response.json()["name"] == "MINE"

    async def test_omitted_fields_return_to_their_defaults(self, api, kind: Kind) -> None:
        """PUT replaces the whole object: what it omits takes the server default."""
        changed = {f: v for f, v in kind.defaults().items() if f != "customParams" and v != valid(kind).get(f)}
        changed = {f: v for f, v in changed.items() if isinstance(v, (bool, float))}
        assert changed, "every kind has an optional boolean or number field"
        flipped = {f: (not v) if isinstance(v, bool) else v + 0.5 for f, v in changed.items()}
        stored = await api.create(kind.collection, {**valid(kind), **flipped})
        assert all(stored[f] == v for f, v in flipped.items())
        body = {k: v for k, v in stored.items() if k not in changed}
        updated = (await api.put(stored["selfUri"], json=body)).json()
        assert all(updated[f] == v for f, v in changed.items())

    async def test_an_invalid_update_changes_nothing(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        response = await api.put(stored["selfUri"], json={**stored, "unknownField": 1})
        assert_error(response, 400, "bad.request", "unknownField")
        assert (await api.get(stored["selfUri"])).json() == stored


class TestUnorderedLists:
    @pytest.mark.parametrize("kind", [k for k in KINDS if k.unordered], ids=lambda k: k.name)
    async def test_unordered_lists_come_back_in_a_deterministic_other_order(self, api, kind: Kind) -> None:
        body = valid(kind, phrases=[{"phrase": "alpha"}, {"phrase": "bravo"}, {"phrase": "charlie"}],
                      scoring=[{"type": "additive", "value": 0.1}, {"type": "multiplicative", "value": 0.5}],
                      tags=["a", "b", "c"])
        stored = await api.create(kind.collection, body)
        for field in kind.unordered:
            sent = kind.essence(body)[field]
            got = stored[field]
            assert sorted(map(canonical_json, got)) == sorted(map(canonical_json, sent)), field
            assert got != body[field], f"{field} came back in the order sent"
        reordered = {f: list(reversed(body[f])) for f in kind.unordered}
        again = await api.create(kind.collection, {**body, **reordered, "name": "Second"})
        assert all(again[f] == stored[f] for f in kind.unordered)


@pytest.mark.parametrize("kind", [k for k in KINDS if k.write_only], ids=lambda k: k.name)
class TestWriteOnlySecrets:
    def with_secret(self, kind: Kind, **extra) -> dict:
        return valid(kind, authScheme="bearer", authSecret=SECRET, **extra)

    async def test_secret_is_never_returned_only_flagged(self, api, kind: Kind) -> None:
        create = await api.post(kind.collection, json=self.with_secret(kind))
        stored = create.json()
        read = await api.get(stored["selfUri"])
        listing = await api.get(kind.collection)
        update = await api.put(stored["selfUri"], json={**stored, "authSecret": SECRET + "2"})
        for response in (create, read, listing, update):
            assert response.status_code == 200
            assert SECRET not in response.text
            assert "authSecret\"" not in response.text
        for obj in (stored, read.json(), listing.json()["entities"][0], update.json()):
            assert obj["authSecretSet"] is True

    async def test_an_update_that_omits_the_secret_keeps_it(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, self.with_secret(kind))
        response = await api.put(stored["selfUri"], json={**stored, "description": "new"})
        assert response.status_code == 200, response.text
        assert response.json()["authSecretSet"] is True

    async def test_changing_to_no_auth_without_the_secret_drops_it(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, self.with_secret(kind))
        response = await api.put(stored["selfUri"], json={**stored, "authScheme": "none"})
        assert response.status_code == 200, response.text
        assert response.json()["authSecretSet"] is False

    async def test_null_clears_the_secret_which_bearer_needs(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, self.with_secret(kind))
        response = await api.put(stored["selfUri"], json={**stored, "authSecret": None})
        assert_error(response, 400, "bad.request", "authSecret")

    async def test_an_update_adding_basic_without_any_secret_is_400(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        response = await api.put(stored["selfUri"], json={**stored, "authScheme": "basic", "authUsername": "u"})
        assert_error(response, 400, "bad.request", "authSecret")

    @pytest.mark.parametrize("bad", [{"authScheme": "none"}, {"authScheme": "basic"}, {"authSecret": 12345}],
                             ids=["scheme-none", "basic-no-user", "not-a-string"])
    async def test_errors_never_echo_the_secret(self, api, kind: Kind, bad) -> None:
        body = {**self.with_secret(kind), **bad}
        response = await api.post(kind.collection, json=body)
        assert response.status_code == 400
        assert SECRET not in response.text and "12345" not in response.text


class TestPersistenceAndHooks:
    async def test_state_survives_a_new_app_on_the_same_file(self, api, sandbox_options) -> None:
        kind = KINDS[0]
        stored = await api.create(kind.collection, valid(kind))
        async with httpx.AsyncClient(transport=embedded_transport(sandbox_options), base_url="http://x") as again:
            response = await again.get(stored["selfUri"], headers=api.headers)
        assert response.json() == stored

    @pytest.mark.parametrize("hook", [k.after_write for k in KINDS if k.after_write], ids=lambda h: h.path)
    async def test_after_write_hook_is_accepted(self, api, hook) -> None:
        response = await api.request(hook.method, hook.path, json={})
        assert response.status_code == 202
        assert response.json() == {"status": "refreshing"}
        assert "ININ-Correlation-Id" in response.headers
