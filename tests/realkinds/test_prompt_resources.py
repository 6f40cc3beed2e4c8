"""Architect user prompts with their per-language resources, written after the prompt.

The platform writes a prompt's resources at ``/api/v2/architect/prompts/{id}/resources``
(``ArchitectApi.post_architect_prompt_resources``, ``put_architect_prompt_resource``,
``delete_architect_prompt_resource``), keyed by language as CX as Code's
``genesyscloud_architect_user_prompt`` keys its ``resources`` set. Run through the CLI
against a served sandbox; the sandbox's request counters say which resource writes were sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.edge import ADMIN_PREFIX

from ._support import Project, changes_of, make_project
from .test_sdk import sdk_client, served

RESOURCES = "/api/v2/architect/prompts/{id}/resources"
ONE = RESOURCES + "/{key}"
GREETING = "MainMenuGreeting"
FILE = "prompts.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path, (FILE,))


def resource_writes(sandbox: Any) -> dict[str, int]:
    """How many resource writes the sandbox answered so far, by method."""
    requests = httpx.get(sandbox.url + ADMIN_PREFIX + "/stats").json()["requests"]
    return {
        "POST": requests.get(f"POST {RESOURCES}", 0),
        "PUT": requests.get(f"PUT {ONE}", 0),
        "DELETE": requests.get(f"DELETE {ONE}", 0),
    }


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {method: after[method] - before[method] for method in before}


def live_resources(sandbox: Any, name: str) -> dict[str, Any]:
    """The prompt's resources as the official SDK reads them, by language."""
    import PureCloudPlatformClientV2 as sdk

    api = sdk.ArchitectApi(sdk_client(sandbox))
    prompt = next(p for p in api.get_architect_prompts(name=[name], include_resources=True).entities)
    listing = api.get_architect_prompt_resources(prompt.id)
    assert isinstance(listing, sdk.PromptAssetEntityListing)
    by_language = {r.language: r for r in listing.entities}
    assert sorted(by_language) == sorted(r.language for r in prompt.resources or [])
    return by_language


def test_apply_creates_edits_deletes_and_leaves_unmanaged_resources_alone(project: Project, served_sandbox) -> None:
    sandbox = served_sandbox(rate_limit=0)
    served(project, sandbox, "apply", "--auto-approve")
    created = live_resources(sandbox, GREETING)
    assert sorted(created) == ["en-us", "es-us"]
    assert created["en-us"].tts_string == "Thank you for calling. For billing, press 1."
    assert created["en-us"].text == "Thank you for calling. For billing, press 1."
    assert created["es-us"].tts_string.startswith("Gracias por llamar")
    assert sorted(live_resources(sandbox, "AfterHoursNotice")) == ["en-us"]
    assert resource_writes(sandbox) == {"POST": 3, "PUT": 0, "DELETE": 0}

    # apply twice writes nothing: the live resources compare equal to the manifest
    before = resource_writes(sandbox)
    served(project, sandbox, "plan", "--detailed-exitcode")
    served(project, sandbox, "apply", "--auto-approve")
    assert delta(before, resource_writes(sandbox)) == {"POST": 0, "PUT": 0, "DELETE": 0}

    # one ttsString edited: only that resource is written, the other keeps its id
    project.edit(FILE, "Gracias por llamar. Para facturación, oprima 1.", "Gracias. Para facturación, oprima 1.")
    planned = served(project, sandbox, "plan", "--detailed-exitcode", expect=2)
    assert GREETING in planned.output and "AfterHoursNotice" not in planned.output
    before = resource_writes(sandbox)
    served(project, sandbox, "apply", "--auto-approve")
    assert delta(before, resource_writes(sandbox)) == {"POST": 0, "PUT": 1, "DELETE": 0}
    edited = live_resources(sandbox, GREETING)
    assert edited["es-us"].tts_string == "Gracias. Para facturación, oprima 1."
    assert edited["en-us"].id == created["en-us"].id and edited["es-us"].id == created["es-us"].id

    # a language the manifest no longer lists is deleted
    project.edit(
        FILE,
        "    - language: es-us\n      ttsString: Gracias. Para facturación, oprima 1.\n",
        "",
    )
    before = resource_writes(sandbox)
    served(project, sandbox, "apply", "--auto-approve")
    assert delta(before, resource_writes(sandbox)) == {"POST": 0, "PUT": 0, "DELETE": 1}
    assert sorted(live_resources(sandbox, GREETING)) == ["en-us"]

    # a manifest without resources leaves the live ones alone (absent is not empty)
    _drop_resources(project, "AfterHoursNotice")
    before = resource_writes(sandbox)
    served(project, sandbox, "plan", "--detailed-exitcode")
    served(project, sandbox, "apply", "--auto-approve")
    assert delta(before, resource_writes(sandbox)) == {"POST": 0, "PUT": 0, "DELETE": 0}
    assert sorted(live_resources(sandbox, "AfterHoursNotice")) == ["en-us"]


def _drop_resources(project: Project, name: str) -> None:
    """Take the ``resources`` list out of one prompt's manifest (its last lines in the file)."""
    path = project.manifests / FILE
    head, _, tail = path.read_text().partition(f"name: {name}\n")
    kept = [line for line in tail.splitlines() if not line.startswith(("  resources:", "    - ", "      "))]
    path.write_text(head + f"name: {name}\n" + "\n".join(kept) + "\n")


def test_duplicate_languages_are_refused_offline(project: Project) -> None:
    text = (project.manifests / FILE).read_text().replace("language: es-us", "language: en-us")
    (project.manifests / FILE).write_text(text)
    result = project.run("validate", expect=None)
    assert result.exit_code != 0 and "each language may appear once; repeated: en-us" in result.output


def test_an_upper_case_language_is_refused_offline(project: Project) -> None:
    """CX as Code accepts only the lower-case tags reads show (``en-us``): ``en-US`` would be keyed apart from
    the live ``en-us``, a create of one and a delete of the other."""
    text = (project.manifests / FILE).read_text().replace("language: es-us", "language: es-US")
    (project.manifests / FILE).write_text(text)
    result = project.run("validate", expect=1)
    assert "prompts.yaml:18:17: spec.resources[1].language: 'es-US' does not match the pattern" in result.output


def test_a_plan_shows_the_resources_to_create(project: Project) -> None:
    plan = project.plan_json()
    change = changes_of(plan)[f"ArchitectUserPrompt/{GREETING}"]
    assert change["action"] == "create"
    assert "es-us" in str(change)


def test_a_pruned_prompt_is_deleted_with_its_resources(project: Project) -> None:
    """Delete sends ``allResources=true``, as CX as Code's prompt delete does: the sandbox, as the
    platform is assumed to, refuses to delete a prompt that still has resources without it."""
    project.run("apply", "--auto-approve")
    path = project.manifests / FILE
    path.write_text(path.read_text().split("\n---\n")[0] + "\n")  # AfterHoursNotice is no longer declared
    result = project.run("apply", "--auto-approve", "--prune", "ArchitectUserPrompt")
    assert "1 succeeded, 0 failed" in result.stdout, result.output
    assert sorted(project.live("ArchitectUserPrompt")) == [GREETING]


def test_the_sandbox_keeps_a_prompt_with_resources_unless_all_resources_go(project: Project, served_sandbox) -> None:
    import PureCloudPlatformClientV2 as sdk

    sandbox = served_sandbox(rate_limit=0)
    served(project, sandbox, "apply", "--auto-approve")
    api = sdk.ArchitectApi(sdk_client(sandbox))
    prompt = api.get_architect_prompts(name=["AfterHoursNotice"]).entities[0]
    with pytest.raises(sdk.rest.ApiException) as refused:
        api.delete_architect_prompt(prompt.id)
    assert refused.value.status == 409 and "allResources=true" in refused.value.body
    api.delete_architect_prompt(prompt.id, all_resources=True)
    assert [p.name for p in api.get_architect_prompts().entities] == [GREETING]
