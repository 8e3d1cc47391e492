"""The table contract: Arrow schemas of the canonical tables, the one source of truth.

`make docs` writes `docs/schema.md` from `render_markdown()`; a test keeps the two in sync.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 2

TIME = pa.timestamp("us", tz="UTC")
_S, _I, _B = pa.string(), pa.int64(), pa.bool_()


def _members(*names: str) -> str:
    return ", ".join(f"`{n}`" for n in names)


# Every value the log enumeration columns can hold: the Graph v1.0 members (CSDL), whatever
# spelling, integer or retired name the input used; a value that is none of them is left
# out (null) and kept in `extra`.
ENUM_MEMBERS: dict[str, tuple[str, ...]] = {
    "action": (
        "create", "update", "delete", "disable", "stagedDelete", "other", "unknownFutureValue",
    ),
    "status": ("success", "failure", "skipped", "warning", "unknownFutureValue"),
    "error_category": ("failure", "nonServiceFailure", "success", "unknownFutureValue"),
    "initiated_by_type": ("user", "application", "system", "unknownFutureValue"),
    "step_type": (
        "import", "scoping", "matching", "processing", "referenceResolution", "export",
        "unknownFutureValue",
    ),
}  # fmt: skip
_DIALECTS = _members(
    "graph.v1", "graph.beta.legacy", "on_demand", "diagnostic", "portal", "log_analytics",
    "powershell",
)  # fmt: skip
_ACTIONS, _RESULTS, _ERROR_CATEGORIES, _INITIATOR_TYPES, _STEP_TYPES = (
    _members(*ENUM_MEMBERS[c])
    for c in ("action", "status", "error_category", "initiated_by_type", "step_type")
)

# (column, type, description); order is the column order of the table.
_EVENTS = [
    ("event_id", _S, "Graph `id` of the provisioning event (on-demand: its `changeId`). Key."),
    ("activity_time", TIME, "When the event happened (`activityDateTime`, on-demand `startTime`)."),
    ("tenant_id", _S, "Entra tenant id (Log Analytics: `AADTenantId`, not the workspace id)."),
    ("job_id", _S, "Synchronization job id, e.g. `scim.<tenant hex>.<guid>`."),
    ("cycle_id", _S, "Id of the job iteration (cycle)."),
    ("change_id", _S, "Id of this change within its cycle; joins portal CSV files."),
    ("action", _S, f"One of {_ACTIONS}, or null."),
    ("status", _S, f"One of {_RESULTS}, or null."),
    ("error_code", _S, "Error code, e.g. EntryConflict (on-demand: the verdict's code)."),
    ("error_category", _S, f"One of {_ERROR_CATEGORIES}, or null."),
    ("error_reason", _S, "Error text (`reason`; on-demand: the verdict's `errorMessage`)."),
    ("error_details", _S, "`additionalDetails` of the error."),
    ("recommended_action", _S, "`recommendedAction` of the error."),
    ("skip_reason", _S, "Why the event was skipped: verdict code or the steps' `SkipReason`."),
    ("duration_ms", _I, "Duration in milliseconds."),
    ("service_principal_id", _S, "Service principal (enterprise app) id."),
    ("service_principal_name", _S, "Service principal display name."),
    ("source_system_id", _S, "Source system id."),
    ("source_system_name", _S, "Source system name, e.g. Microsoft Entra ID, Workday."),
    ("target_system_id", _S, "Target system id."),
    ("target_system_name", _S, "Target system name, e.g. customappsso, Salesforce."),
    ("source_id", _S, "Source identity id."),
    ("source_name", _S, "Source identity display name."),
    ("source_type", _S, "Source identity type, e.g. User, Group."),
    ("target_id", _S, "Target identity id (SCIM ids are not GUIDs)."),
    ("target_name", _S, "Target identity display name."),
    ("target_type", _S, "Target identity type, e.g. urn:ietf:params:scim:schemas:core:2.0:User."),
    ("initiated_by_id", _S, "Initiator id (often empty for the provisioning service)."),
    ("initiated_by_name", _S, "Initiator name, e.g. Azure AD Provisioning Service."),
    ("initiated_by_type", _S, f"One of {_INITIATOR_TYPES}, or null."),
    ("reportable_identifier", _S, "Human-readable identifier (UPN, group name) from the steps."),
    ("dialect", _S, f"Shape the record was read from: one of {_DIALECTS}."),
    ("extra", _S, "JSON object of every field not mapped to a column, keyed by path; or null."),
]
_STEPS = [
    ("event_id", _S, "Parent event. Key, with step_index."),
    ("step_index", pa.int32(), "0-based position of the step in the event."),
    ("name", _S, "Step name, e.g. EntryImport, EntryExportAdd."),
    ("step_type", _S, f"One of {_STEP_TYPES}, or null."),
    ("status", _S, f"One of {_RESULTS}, or null."),
    ("description", _S, "What the step did, as logged."),
    ("timestamp", TIME, "When the step ran (on-demand results only)."),
    ("details", _S, "JSON object of the step's details bag (values are strings)."),
]
_MODIFIED_PROPERTIES = [
    ("event_id", _S, "Parent event. Key, with property_index."),
    ("property_index", pa.int32(), "0-based position of the property in the event."),
    ("name", _S, "Attribute name (`displayName` of the modified property)."),
    ("old_value", _S, 'Value before the change; `""` if it was empty, null if not logged.'),
    ("new_value", _S, 'Value after the change; `""` if cleared, null if not logged.'),
]
_ERRORS = [
    ("event_id", _S, "The failed or warned event. Key."),
    ("activity_time", TIME, "When the event happened."),
    ("status", _S, "`failure` or `warning` (status of the event)."),
    ("job_id", _S, "Synchronization job id."),
    ("cycle_id", _S, "Id of the job iteration (cycle)."),
    ("change_id", _S, "Id of this change within its cycle."),
    ("action", _S, f"Action of the event: one of {_ACTIONS}, or null."),
    ("error_code", _S, "Error code."),
    ("error_category", _S, f"Error category: one of {_ERROR_CATEGORIES}, or null."),
    ("error_reason", _S, "Error text."),
    ("error_details", _S, "Additional details."),
    ("recommended_action", _S, "Recommended action."),
    ("failed_step_name", _S, "First step whose status matches the event's (else the last step)."),
    ("failed_step_type", _S, f"Type of that step: one of {_STEP_TYPES}, or null."),
    ("failed_step_description", _S, "Description of that step."),
    ("service_principal_id", _S, "Service principal (enterprise app) id."),
    ("service_principal_name", _S, "Service principal display name."),
    ("source_id", _S, "Source identity id."),
    ("source_name", _S, "Source identity display name."),
    ("target_id", _S, "Target identity id."),
    ("target_name", _S, "Target identity display name."),
    ("target_system_name", _S, "Target system name."),
    ("reportable_identifier", _S, "Human-readable identifier: the UPN of a user, a group's name."),
]
_JOB_STATUS = [
    (
        "observed_time",
        TIME,
        "When the job snapshot was taken: the clock for a live call; for a saved job list, "
        "the newest time its status records (else the file's modification time).",
    ),
    ("service_principal_id", _S, "Service principal that owns the job."),
    ("job_id", _S, "Synchronization job id. Key, with observed_time."),
    ("template_id", _S, "Synchronization template id (`templateId`)."),
    ("schedule_state", _S, "`schedule.state`: Active, Disabled or Paused."),
    ("schedule_interval", _S, "`schedule.interval`: ISO 8601 duration between cycles, e.g. PT40M."),
    ("schedule_expiration", TIME, "`schedule.expiration`: when the schedule ends (null: never)."),
    ("status_code", _S, "`status.code`: NotConfigured, NotRun, Active, Paused or Quarantine."),
    ("successive_failures", _I, "`status.countSuccessiveCompleteFailures`."),
    ("escrows_pruned", _B, "`status.escrowsPruned`: escrows were pruned during the last run."),
    (
        "quarantine_reason",
        _S,
        "`quarantine.reason`: EncounteredBaseEscrowThreshold, EncounteredTotalEscrowThreshold, "
        "EncounteredEscrowProportionThreshold, EncounteredQuarantineException, Unknown, "
        "QuarantinedOnDemand, TooManyDeletes or IngestionInterrupted.",
    ),
    (
        "quarantine_series_began",
        TIME,
        "`quarantine.seriesBegan`: when the quarantine was first imposed in this series "
        "(how long the job has been quarantined).",
    ),
    (
        "quarantine_current_began",
        TIME,
        "`quarantine.currentBegan`: when the quarantine was last re-evaluated.",
    ),
    ("quarantine_next_attempt", TIME, "`quarantine.nextAttempt`: next attempt to leave it."),
    ("quarantine_series_count", _I, "`quarantine.seriesCount`: quarantines in this series."),
    ("quarantine_error_code", _S, "`quarantine.error.code`: the quarantine's own error."),
    ("quarantine_error_message", _S, "`quarantine.error.message`."),
    ("quarantine_error_tenant_actionable", _B, "`quarantine.error.tenantActionable`."),
    (
        "last_execution_state",
        _S,
        "`lastExecution.state`: Succeeded, Failed or EntryLevelErrors.",
    ),
    ("last_execution_began", TIME, "`lastExecution.timeBegan`: start of the last run."),
    ("last_execution_ended", TIME, "`lastExecution.timeEnded`: end of the last run."),
    ("last_error_code", _S, "`lastExecution.error.code`: the last run's error."),
    ("last_error_message", _S, "`lastExecution.error.message`."),
    ("last_error_tenant_actionable", _B, "`lastExecution.error.tenantActionable`."),
    ("count_imported", _I, "`lastExecution.countImported`: entries imported by the last run."),
    ("count_exported", _I, "`lastExecution.countExported`: entries exported."),
    ("count_exports", _I, "`lastExecution.countExports`: exports expected."),
    ("count_escrowed", _I, "`lastExecution.countEscrowed`: entries escrowed (errors)."),
    ("count_escrowed_raw", _I, "`lastExecution.countEscrowedRaw`: escrows, not deduplicated."),
    ("count_entitled", _I, "`lastExecution.countEntitled`: entries in scope."),
    (
        "count_entitled_for_provisioning",
        _I,
        "`lastExecution.countEntitledForProvisioning`: entries in scope for provisioning.",
    ),
    ("count_imported_deltas", _I, "`lastExecution.countImportedDeltas`: changes imported."),
    (
        "count_imported_reference_deltas",
        _I,
        "`lastExecution.countImportedReferenceDeltas`: reference changes imported.",
    ),
    (
        "last_successful_execution",
        TIME,
        "`lastSuccessfulExecution.timeEnded`: end of the last successful run.",
    ),
    (
        "last_successful_execution_with_exports",
        TIME,
        "`lastSuccessfulExecutionWithExports.timeEnded`: end of the last successful run "
        "that exported something.",
    ),
    (
        "steady_state_first_achieved",
        TIME,
        "`steadyStateFirstAchievedTime`: first time the job reached steady state.",
    ),
    (
        "steady_state_last_achieved",
        TIME,
        "`steadyStateLastAchievedTime`: last time the job reached steady state.",
    ),
    ("troubleshooting_url", _S, "`troubleshootingUrl`: where Entra explains the job's trouble."),
    (
        "progress",
        _S,
        "JSON text: `status.progress`, a list of `{completedUnits, totalUnits, units, "
        "progressObservationDateTime}`.",
    ),
    (
        "synchronized_entry_count_by_type",
        _S,
        "JSON text: `status.synchronizedEntryCountByType` as an object, e.g. "
        '`{"user to user": 1200}`.',
    ),
    (
        "extra",
        _S,
        "JSON text: fields of the job not mapped above, by dotted path (e.g. "
        "`synchronizationJobSettings`), and fields of an unexpected shape.",
    ),
]

_TABLES = {
    "events": _EVENTS,
    "steps": _STEPS,
    "modified_properties": _MODIFIED_PROPERTIES,
    "errors": _ERRORS,
    "job_status": _JOB_STATUS,
}

SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([pa.field(col, typ, metadata={"doc": doc}) for col, typ, doc in cols])
    for name, cols in _TABLES.items()
}
TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)
LOG_TABLES: tuple[str, ...] = ("events", "steps", "modified_properties", "errors")

# The column that dates each table's rows (and partitions it); the others follow their event.
TIME_COLUMNS: dict[str, str] = {
    "events": "activity_time",
    "errors": "activity_time",
    "job_status": "observed_time",
}

KEYS: dict[str, tuple[str, ...]] = {
    "events": ("event_id",),
    "steps": ("event_id", "step_index"),
    "modified_properties": ("event_id", "property_index"),
    "errors": ("event_id",),
    "job_status": ("job_id", "observed_time"),
}

_TABLE_DOCS = {
    "events": "One row per provisioning event.",
    "steps": "One row per provisioning step of an event.",
    "modified_properties": "One row per changed attribute of an event.",
    "errors": "One row per event whose status is failure or warning, ready for drill-downs.",
    "job_status": (
        "One row per synchronization job snapshot (Graph's `synchronizationJob` and its "
        "`synchronizationStatus`). Unlike the log tables, its enumerations keep the CSDL member "
        "names (`Quarantine`, `EncounteredQuarantineException`, `Failed`, `Active`), whatever "
        "spelling or integer the input used; text that names no member (one Graph adds later) "
        "is kept as written, and an integer that is none is null, its value kept in `extra`. "
        "The CSDL (v1.0 and beta) declares no `unknownFutureValue` in these enumerations. "
        "Graph's `0001-01-01T00:00:00Z` (never) is null. `quarantine_error_*` is the "
        "quarantine's own error, `last_error_*` the last run's. Every field is optional (a job "
        "saved with `$select` gives nulls); a field of an unexpected shape is null, kept in "
        "`extra` under its dotted path, with a `LoadWarning` (logged too)."
    ),
}

# `frames.rejects` (pandas, kept in memory: a dataset counts its rejects in `manifest.json`).
REJECTS_DOC = (
    'One row per record (or file) a load in collect mode (`on_error="collect"`, '
    "`--collect-errors`) set aside, in `frames.rejects`: a pandas DataFrame, not written to "
    "datasets (`manifest.json` counts them in `records_rejected`). Each row says what the "
    "warning (and, without collect mode, the error) says of that record."
)
REJECT_COLUMNS: dict[str, str] = {
    "origin": (
        "Where the record is, as the message names it: `FILE:LINE: page P: record R`, each "
        "part when known (`PT1H.json:2: record 2`, `page.json: record 1`, `https://graph."
        "microsoft.com/v1.0/auditLogs/provisioning: page 3: record 1`). Lines, pages and "
        "records count from 1: `record 1` is the first record of its file (of a Graph call's "
        "page, of a JSON array, of an Event Hub batch's `records`); a CSV's record 1 is on "
        "line 2, after its header. A file set aside whole (empty, not JSON, truncated, too "
        "large) is named alone."
    ),
    "field": (
        "The field as the input spells it (`TimeGenerated`, `Date (UTC)`, "
        "`properties.activityDateTime`); null when the record or file as a whole is bad."
    ),
    "reason": "Why it was set aside (`is missing`, `not valid JSON`).",
    "record": (
        "The record's raw text: its JSON, or the line as read when it is not JSON; empty for "
        "a file set aside whole, and in `frames.pseudonymize(key)`'s rejects."
    ),
}


# `manifest.json` beside the tables: for people, never needed for consistency.
MANIFEST_DOC = (
    "Written after each load into a dataset folder, describing the whole dataset; a JSON "
    "object with these keys (a key that does not apply is left out)."
)
MANIFEST_KEYS: dict[str, str] = {
    "schema_version, tool_version, written_at": "Of the last write.",
    "sources": (
        "Every file (or archive member, `a.zip!logs/x.json`, or URL) ever loaded, once each, "
        "in the order first loaded; a file named relative to the common folder of the load "
        "that first listed it, never as an absolute path (`graph-v1/x.json` of a load of "
        "`samples/`, and still so when `samples/graph-v1/x.json` is loaded alone later). "
        "A file whose name another file has is listed with more of its folders "
        "(`tuesday/page.json`)."
    ),
    "source_ids": (
        "Each listed file's name -> its id: the first 16 hex digits of the SHA-256 of its "
        "resolved absolute path (which does not show the path), by which a later load knows "
        "it; left out of pseudonymized datasets. Without it (manifests written before it, "
        "pseudonymized ones), a file whose path ends with a listed name is that entry."
    ),
    "row_counts, time_range": "Rows per table and the events' first and last time.",
    "records_read, records_rejected, rejected_files": (
        "Of the last load: records read, records and files set aside (collect mode), and "
        "the files set aside whole. The diagnostic records of other Entra logs (a "
        "`category` other than `ProvisioningLogs`) are not records read: a warning counts "
        "them."
    ),
    "store_version, last_load": (
        "A store's: its version after the last load, and the rows that load wrote and "
        "replaced per table."
    ),
    "pseudonymized, narrowed": "How the rows were pseudonymized, and narrowed in time.",
}


def render_markdown() -> str:
    """The schema documentation (`docs/schema.md`) generated from `SCHEMAS`."""
    lines = [
        "# provlytics table schema",
        "",
        f"Schema version {SCHEMA_VERSION}. Generated by `make docs` from `provlytics/schema.py`; "
        "do not edit by hand.",
        "",
        "Times are `timestamp[us, tz=UTC]`. Enumerations use the Graph v1.0 spelling in lower "
        "camelCase; each enumeration column lists every value it can hold (a value the input "
        "gives that is none of them becomes null, and is kept in the event's `extra`, with a "
        "`LoadWarning` per file and field). "
        "Missing values are nulls, never empty strings, with one exception: in "
        '`modified_properties`, `old_value` and `new_value` keep `""` (the attribute was empty '
        "or cleared) apart from null (the value was not logged), as Graph does; the portal's "
        "CSV download cannot tell them apart and gives null for both. Parquet datasets hold a "
        "folder per table, Hive-partitioned by `activity_date=YYYY-MM-DD` (steps and modified "
        "properties by their event's date, job status by `observed_time`), zstd-compressed, "
        "with `manifest.json` written last.",
        "",
        "Which columns hold personal data, and how `frames.pseudonymize(key)` replaces them "
        'before a dataset is shared, is listed in the README, section "Privacy for shared '
        'exports"; a pseudonymized dataset says so under `pseudonymized` in `manifest.json`.',
    ]
    for name, schema in SCHEMAS.items():
        key = ", ".join(KEYS[name])
        lines += ["", f"## {name}", "", f"{_TABLE_DOCS[name]} Key: `{key}`.", ""]
        lines += ["| column | type | description |", "|---|---|---|"]
        for f in schema:
            lines.append(f"| `{f.name}` | `{f.type}` | {f.metadata[b'doc'].decode()} |")
    lines += ["", "## rejects", "", REJECTS_DOC, ""]
    lines += ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{name}` | `string` | {doc} |" for name, doc in REJECT_COLUMNS.items()]
    lines += ["", "## manifest.json", "", MANIFEST_DOC, "", "| key | description |", "|---|---|"]
    for keys, doc in MANIFEST_KEYS.items():
        lines.append(f"| {', '.join(f'`{key}`' for key in keys.split(', '))} | {doc} |")
    return "\n".join(lines) + "\n"
