"""SpeechProgram: a speech-and-text-analytics program of the real Genesys Cloud Platform API.

Bound to ``/api/v2/speechandtextanalytics/programs``; the fields are those of the
official SDK's ``ProgramRequest`` (``PureCloudPlatformClientV2``: ``name``,
``description``, ``topicIds``, ``tags``), read back as ``Program``/``ListedProgram``.
What the platform does, said as data below, the way topics do it:

* reads show ``topics`` (``BaseTopicEntitiy`` references) where writes send ``topicIds``;
  a program's topics are usually declared too: ``${ref:SpeechTopic/Name.id}``;
* the listing (``ProgramsEntityListing``) is a summary (``topicsCount`` instead of the
  topics) paged by the ``nextPage`` cursor, with ``name`` a case-insensitive partial
  filter (``SpeechTextAnalyticsApi.get_speechandtextanalytics_programs``);
* ``topicIds`` that a manifest leaves out are not managed (neither sent as ``[]`` nor compared):
  the link is one on the platform, and a topic's manifest may hold it (``programIds``);
* programs have no ``version``: ``dateModified`` is the revision a saved plan checks;
* ``published`` is not a request field: ``POST /programs/publishjobs``
  (``ProgramJobRequest.programIds``, answered by a ``ProgramJob`` whose ``state`` is
  Running, Completed or Failed) publishes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from reconciler.kinds.conventions import Audited, IdRefs, Listing, Permissions, Publish
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel

COLLECTION = "/api/v2/speechandtextanalytics/programs"


class SpeechProgramSpec(SpecModel):
    """A speech-and-text-analytics program (SDK model ``ProgramRequest``), plus whether to publish it."""

    description: str | None = Field(None, description="What the program is for.")
    topicIds: list[str] | None = Field(
        None,
        description="Ids of the program's topics (reads show them as topics); e.g. ${ref:SpeechTopic/Name.id}. "
        "Absent: not managed, the program's links to topics stay as they are.",
    )
    tags: list[str] = Field(default_factory=list, description="Tags of the program, each unique.")
    published: bool = Field(
        False,
        description="true: apply publishes the program after writing it (a publish job) and waits for the job. "
        "false: publishing is not managed (the API cannot unpublish).",
    )


def _unique_items(spec: SpeechProgramSpec) -> Iterator[FieldIssue]:
    for field_name in ("topicIds", "tags"):
        seen: set[str] = set()
        for i, item in enumerate(getattr(spec, field_name) or ()):
            if not item:
                yield FieldIssue((field_name, i), "must not be empty")
            if item in seen:
                yield FieldIssue((field_name, i), f"{item!r} is a duplicate")
            seen.add(item)


KIND = Kind(
    name="SpeechProgram",
    spec_model=SpeechProgramSpec,
    collection=COLLECTION,
    read_scope="speech-and-text-analytics:readonly",
    write_scope="speech-and-text-analytics",
    # SDK api docs (PureCloudPlatformClientV2 SpeechTextAnalyticsApi.md, "Requires ALL permissions": one each)
    permissions=Permissions.crud("speechAndTextAnalytics:program"),
    description="A speech-and-text-analytics program grouping topics (real Genesys Cloud API).",
    unordered=("topicIds", "tags"),
    checks=(_unique_items,),
    source="platform",
    listing=Listing(
        style="cursor",
        cursor_param="nextPage",
        envelope=("entities", "pageSize", "total", "pageCount", "selfUri", "nextUri"),
        name_match="contains",
        page_size_max=500,
        counted={"topicIds": "topicsCount"},
        # SDK ListedProgram: a listing shows neither publishedBy nor datePublished
        omitted=("publishedBy", "datePublished"),
        unsupported_params=("state", "ids", "sortBy", "sortOrder"),
    ),
    versioned=False,
    revision_field="dateModified",
    server_managed=frozenset(
        {"id", "dateModified", "selfUri", "modifiedBy", "publishedBy", "datePublished", "topicLinksJob"}
    ),
    publish=Publish(
        flag="published",
        path=COLLECTION + "/publishjobs",
        ids_field="programIds",
        job_items_field="programs",
        scope="speech-and-text-analytics",
        description="publish speech programs",
        permissions=("speechAndTextAnalytics:program:publish",),
    ),
    id_refs=(IdRefs(field="topicIds", shown_as="topics", uri="/api/v2/speechandtextanalytics/topics/{id}"),),
    # a program's topicIds and a topic's programIds are one link on the platform: a PUT leaving topicIds
    # out would send [] and unlink the topics whose manifests link them (the topic kind's programIds
    # are unmanaged when absent for the same reason): absent is not empty
    unmanaged_when_absent=("topicIds",),
    audit=Audited("SpeechAndTextAnalytics", "Program"),
)
