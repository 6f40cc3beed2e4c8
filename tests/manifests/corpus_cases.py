"""The broken-manifest corpus: what each case in ``corpus/`` must be reported as.

Each row: the path given to ``reconciler validate`` (relative to ``corpus/``), the file
and line the error must name, its field path, a fragment of its message, and whether a
JSON Schema can see the problem (``schema=True``: ``schemas/manifest.json`` must
reject the case, with an error on the field's branch).

Lines were read off the files by hand; do not regenerate them from the tool's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"

#: variables the corpus expects: set (to a value the output must never show) and unset
SET_SECRET = ("CORPUS_SET_SECRET", "corpus-s3cr3t-value")
UNSET = ("CORPUS_UNSET_SECRET", "CORPUS_UNSET_OWNER")


@dataclass(frozen=True)
class Case:
    target: str
    line: int
    field: str
    fragment: str
    schema: bool = False
    file: str | None = None  # when the error is in another file than ``target``
    #: text that must not appear in the output (a literal secret)
    hidden: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file or self.target}:{self.line}:"

    @property
    def id(self) -> str:
        return self.target.removesuffix(".yaml").rstrip("/")


CASES: tuple[Case, ...] = (
    # --- YAML itself ----------------------------------------------------------------
    Case("yaml_unclosed_flow.yaml", 9, "", "invalid YAML"),
    Case("yaml_tab_indent.yaml", 9, "", "invalid YAML"),
    Case("yaml_bad_indent.yaml", 5, "", "invalid YAML"),
    Case("yaml_control_character.yaml", 7, "", "invalid YAML: control character U+001B is not allowed"),
    Case("yaml_duplicate_key.yaml", 9, "spec.voice", "duplicate key 'voice' (first at line 7)"),
    Case("yaml_merge_key.yaml", 8, "spec.phrases[1]", "merge keys (<<) are not supported"),
    Case("yaml_custom_tag.yaml", 9, "spec.pitch", "unsupported YAML tag"),
    Case("document_not_mapping.yaml", 1, "", "must be a mapping", schema=True),
    # --- envelope ---------------------------------------------------------------------
    Case("missing_api_version.yaml", 1, "apiVersion", "is required", schema=True),
    Case("wrong_api_version.yaml", 1, "apiVersion", "'reconciler/v2' is not supported", schema=True),
    Case("unknown_kind.yaml", 2, "kind", "did you mean 'VoiceProfile'?", schema=True),
    Case("missing_kind.yaml", 1, "kind", "is required", schema=True),
    Case("unknown_top_level_field.yaml", 9, "metdata", "did you mean 'metadata'?", schema=True),
    Case("unknown_metadata_field.yaml", 5, "metadata.nmae", "did you mean 'name'?", schema=True),
    Case("missing_name.yaml", 3, "metadata.name", "is required", schema=True),
    Case("name_too_long.yaml", 4, "metadata.name", "longer than the maximum 200", schema=True),
    Case("name_empty.yaml", 4, "metadata.name", "must not be empty", schema=True),
    Case("missing_spec.yaml", 1, "spec", "is required", schema=True),
    Case("spec_not_mapping.yaml", 5, "spec", "expected a mapping, got a list", schema=True),
    # --- VoiceProfile -------------------------------------------------------------------
    Case("voice_unknown_field.yaml", 9, "spec.pich", "unknown field (did you mean 'pitch'?)", schema=True),
    Case("voice_wrong_type_pitch.yaml", 9, "spec.pitch", "expected a number", schema=True),
    Case("voice_language_not_allowed.yaml", 6, "spec.language", "'it-IT' is not one of", schema=True),
    Case("voice_bad_prefix.yaml", 7, "spec.voice", "does not match", schema=True),
    Case("voice_engine_mismatch.yaml", 8, "spec.engine", "polly- voices need 'amazon_polly'"),
    Case("voice_engine_invalid.yaml", 8, "spec.engine", "'watson' is not one of", schema=True),
    Case("voice_missing_engine.yaml", 6, "spec.engine", "is required", schema=True),
    Case("voice_pitch_above_max.yaml", 9, "spec.pitch", "10.5 is above the maximum 10.0", schema=True),
    Case("voice_pitch_below_min.yaml", 9, "spec.pitch", "-11 is below the minimum -10.0", schema=True),
    Case("voice_rate_below_min.yaml", 9, "spec.rate", "0.2 is below the minimum 0.25", schema=True),
    Case("voice_rate_above_max.yaml", 9, "spec.rate", "4.5 is above the maximum 4.0", schema=True),
    Case("voice_volume_above_max.yaml", 9, "spec.volume", "2.5 is above the maximum 2.0", schema=True),
    Case("voice_volume_below_min.yaml", 9, "spec.volume", "-0.1 is below the minimum 0.0", schema=True),
    Case("voice_custom_params_too_many.yaml", 9, "spec.customParams", "6 keys, more than the maximum 5", schema=True),
    Case("voice_custom_param_bad_value.yaml", 11, "spec.customParams.lexicons", "got a list", schema=True),
    # --- SpeechRule -----------------------------------------------------------------------
    Case("rule_unknown_field_phrase.yaml", 9, "spec.phrases[1].matchtype", "did you mean 'matchType'?", schema=True),
    Case("rule_unknown_field_spec.yaml", 8, "spec.enable", "did you mean 'enabled'?", schema=True),
    Case("rule_wrong_type_enabled.yaml", 8, "spec.enabled", "expected a boolean, got a string", schema=True),
    Case("rule_phrases_not_list.yaml", 6, "spec.phrases", "expected a list", schema=True),
    Case("rule_missing_phrases.yaml", 6, "spec.phrases", "is required", schema=True),
    Case("rule_description_too_long.yaml", 8, "spec.description", "longer than the maximum 1000", schema=True),
    Case("rule_phrases_empty.yaml", 6, "spec.phrases", "fewer than the minimum 1", schema=True),
    Case("rule_phrases_too_many.yaml", 7, "spec.phrases", "101 items, more than the maximum 100", schema=True),
    Case("rule_phrase_too_long.yaml", 7, "spec.phrases[0].phrase", "longer than the maximum 500", schema=True),
    Case("rule_phrase_empty.yaml", 8, "spec.phrases[1].phrase", "must not be empty", schema=True),
    Case("rule_phrase_missing_text.yaml", 8, "spec.phrases[1].phrase", "is required", schema=True),
    Case("rule_match_type_invalid.yaml", 8, "spec.phrases[0].matchType", "'contains' is not one of", schema=True),
    Case("rule_language_invalid.yaml", 8, "spec.language", "'en-AU' is not one of", schema=True),
    Case("rule_duplicate_phrase.yaml", 9, "spec.phrases[1].phrase", "duplicates phrases[0] (case-insensitive)"),
    Case("rule_overlapping_exact.yaml", 8, "spec.phrases[1].phrase", "one contains the other"),
    Case("rule_bad_regex.yaml", 8, "spec.phrases[1].phrase", "is not a valid regular expression"),
    Case("rule_scoring_above_max.yaml", 10, "spec.scoring[1].value", "1.5 is above the maximum 1.0", schema=True),
    Case("rule_scoring_below_min.yaml", 9, "spec.scoring[0].value", "-1.5 is below the minimum -1.0", schema=True),
    Case("rule_scoring_type_invalid.yaml", 9, "spec.scoring[0].type", "'subtractive' is not one of", schema=True),
    Case("rule_scoring_condition_invalid.yaml", 9, "spec.scoring[0].condition", "'always' is not one of", schema=True),
    Case("rule_scoring_missing_value.yaml", 9, "spec.scoring[0].value", "is required", schema=True),
    Case("rule_scoring_too_many.yaml", 9, "spec.scoring", "21 items, more than the maximum 20", schema=True),
    Case("rule_tags_too_many.yaml", 8, "spec.tags", "51 items, more than the maximum 50", schema=True),
    Case("rule_tag_too_long.yaml", 10, "spec.tags[1]", "tags are 1 to 50 characters", schema=True),
    Case("rule_tag_duplicate.yaml", 11, "spec.tags[2]", "'compliance' is a duplicate tag", schema=True),
    Case("rule_tag_empty.yaml", 10, "spec.tags[1]", "tags are 1 to 50 characters", schema=True),
    # --- Webhook --------------------------------------------------------------------------
    Case("webhook_http_url.yaml", 6, "spec.requestUrl", "'http://crm.example.com/hooks' does not match", schema=True),
    Case("webhook_relative_url.yaml", 6, "spec.requestUrl", "does not match", schema=True),
    Case("webhook_bad_event.yaml", 9, "spec.eventFilters[1].event", "'rule.created' is not one of", schema=True),
    Case("webhook_event_filters_empty.yaml", 7, "spec.eventFilters", "fewer than the minimum 1", schema=True),
    Case("webhook_event_filters_duplicate.yaml", 10, "spec.eventFilters[2]", "duplicates eventFilters[0]", schema=True),
    Case("webhook_method_invalid.yaml", 9, "spec.method", "'GET' is not one of", schema=True),
    Case("webhook_headers_too_many.yaml", 10, "spec.headers", "21 keys, more than the maximum 20", schema=True),
    Case("webhook_authorization_header.yaml", 11, "spec.headers.Authorization", "Authorization header is not allowed", schema=True),
    Case("webhook_header_not_string.yaml", 10, "spec.headers.X-Retry-Count", "expected a string", schema=True),
    Case("webhook_auth_scheme_invalid.yaml", 9, "spec.authScheme", "'digest' is not one of", schema=True),
    Case("webhook_basic_without_username.yaml", 6, "spec.authUsername", "is required when authScheme is basic"),
    Case("webhook_bearer_without_secret.yaml", 6, "spec.authSecret", "is required when authScheme is bearer"),
    Case("webhook_unknown_field_filter.yaml", 9, "spec.eventFilters[0].filters", "did you mean 'filter'?", schema=True),
    # --- secrets and the environment ----------------------------------------------------------
    Case("literal_secret.yaml", 11, "spec.authSecret", "a literal secret does not belong", schema=True, hidden="hunter2"),
    Case("literal_secret_with_env.yaml", 10, "spec.authSecret", "must be ${env:NAME}", schema=True),
    Case("literal_secret_number.yaml", 11, "spec.authSecret", "a literal secret does not belong", schema=True, hidden="73519024"),
    Case("unset_env_secret.yaml", 11, "spec.authSecret", "environment variable CORPUS_UNSET_SECRET is not set"),
    Case("unset_env_other_field.yaml", 9, "spec.description", "environment variable CORPUS_UNSET_OWNER is not set"),
    Case("malformed_env_placeholder.yaml", 9, "spec.description", "malformed placeholder '${env:1TEAM}'"),
    Case("unknown_placeholder_scheme.yaml", 9, "spec.description", "malformed placeholder '${vault:team}'"),
    # --- references ---------------------------------------------------------------------------
    Case("ref_dangling.yaml", 9, "spec.eventFilters[0].filter", "dangling reference"),
    Case("ref_unknown_kind.yaml", 9, "spec.eventFilters[0].filter", "did you mean 'SpeechRule'?"),
    Case("ref_malformed.yaml", 9, "spec.eventFilters[0].filter", "malformed reference"),
    Case("ref_unknown_field.yaml", 17, "spec.eventFilters[0].filter", "has no field 'uuid'"),
    Case("ref_secret_field.yaml", 20, "spec.description", "authSecret is write-only and cannot be referenced"),
    Case("ref_structured_field.yaml", 20, "spec.description",
         "headers holds a mapping, and a reference stands for a string, number or boolean"),
    Case("ref_cycle.yaml", 8, "spec.description", "reference cycle: SpeechRule/corpus ref_cycle_rule -> Webhook/corpus ref_cycle_hook -> SpeechRule/corpus ref_cycle_rule"),
    Case("ref_self.yaml", 8, "spec.description", "reference cycle: SpeechRule/corpus ref_self -> SpeechRule/corpus ref_self"),
    # --- identity -------------------------------------------------------------------------------
    Case("duplicate_identity/", 5, "metadata.name", "already declared as 'corpus Duplicate Identity' (names compare case-insensitively) at duplicate_identity/a.yaml:4:9", file="duplicate_identity/b.yaml"),
    Case("duplicate_identity_same_file.yaml", 13, "metadata.name", "already declared at duplicate_identity_same_file.yaml:4:9"),
    # --- project settings ---------------------------------------------------------------------------
    Case("settings_unknown_field/", 2, "prune.kind", "did you mean 'kinds'?", file="settings_unknown_field/reconciler.yaml"),
    Case("settings_unknown_kind/", 2, "prune.kinds", "unknown kind 'Webhooks'", file="settings_unknown_kind/reconciler.yaml"),
)

SCHEMA_CASES = tuple(c for c in CASES if c.schema)
