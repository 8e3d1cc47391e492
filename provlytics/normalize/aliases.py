"""THE alias table: every spelling of every field and enum value the dialects use.

Each canonical column lists the paths to try, in order; the first non-null value wins. Paths
are read on a record's *view* (see `dialects.build_view`): the Graph record itself, the merged
diagnostic envelope + `properties`, a Log Analytics row with its JSON columns parsed, the
decoded on-demand `value` with its verdict under `@verdict`, or a portal CSV row nested back
into Graph's shape.
"""

from __future__ import annotations

from provlytics import origin

Path = tuple[str, ...]


def _each(parents: tuple[str, ...], *children: str) -> tuple[Path, ...]:
    return tuple((p, c) for p in parents for c in children)


_SP = ("servicePrincipal", "ServicePrincipal")
_SOURCE_SYSTEM = ("sourceSystem",)  # Log Analytics' `SourceSystem` is its agent column
_TARGET_SYSTEM = ("targetSystem", "TargetSystem")
_SOURCE_IDENTITY = ("sourceIdentity", "SourceIdentity")
_TARGET_IDENTITY = ("targetIdentity", "TargetIdentity")
_INITIATOR = ("initiatedBy", "InitiatedBy")
_STATUS_INFO = ("provisioningStatusInfo", "ProvisioningStatusInfo")
_ERROR_INFO = tuple((p, "errorInformation") for p in _STATUS_INFO)
_LEGACY_STATUS = ("statusInfo",)


def _error(field: str, *more: Path) -> tuple[Path, ...]:
    return (*((*e, field) for e in _ERROR_INFO), *((s, field) for s in _LEGACY_STATUS), *more)


# Event columns whose values are plain strings (enums are listed in EVENT_ENUMS).
EVENT_FIELDS: dict[str, tuple[Path, ...]] = {
    "event_id": (("id",), ("Id",)),
    "tenant_id": (("tenantId",), ("AADTenantId",)),
    "job_id": (("jobId",), ("JobId",)),
    "cycle_id": (("cycleId",), ("CycleId",)),
    "change_id": (("changeId",), ("ChangeId",)),
    # after the error details: a diagnostic envelope's and a Log Analytics row's result fields
    "error_code": _error(
        "errorCode",
        ("@verdict", "details", "errorCode"),
        ("resultSignature",),
        ("ResultSignature",),
    ),
    "error_reason": _error(
        "reason",
        ("@verdict", "details", "errorMessage"),
        ("resultDescription",),
        ("ResultDescription",),
    ),
    "error_details": _error("additionalDetails"),
    "recommended_action": _error("recommendedAction"),
    "service_principal_id": _each(_SP, "id", "Id"),
    "service_principal_name": _each(_SP, "displayName", "Name", "name"),
    "source_system_id": _each(_SOURCE_SYSTEM, "id", "Id"),
    "source_system_name": _each(_SOURCE_SYSTEM, "displayName", "name", "Name"),
    "target_system_id": _each(_TARGET_SYSTEM, "id", "Id"),
    "target_system_name": _each(_TARGET_SYSTEM, "displayName", "name", "Name"),
    "source_id": _each(_SOURCE_IDENTITY, "id", "Id"),
    "source_name": _each(_SOURCE_IDENTITY, "displayName", "Name", "name"),
    "source_type": _each(_SOURCE_IDENTITY, "identityType", "type", "Type"),
    "target_id": _each(_TARGET_IDENTITY, "id", "Id"),
    "target_name": _each(_TARGET_IDENTITY, "displayName", "Name", "name"),
    "target_type": _each(_TARGET_IDENTITY, "identityType", "type", "Type"),
    "initiated_by_id": _each(_INITIATOR, "id", "Id"),
    "initiated_by_name": _each(_INITIATOR, "displayName", "Name", "name"),
    "reportable_identifier": (("reportableIdentifier",),),
}

EVENT_TIMES: dict[str, tuple[Path, ...]] = {
    "activity_time": (("activityDateTime",), ("startTime",), ("TimeGenerated",), ("time",)),
}

EVENT_INTS: dict[str, tuple[Path, ...]] = {
    "duration_ms": (("durationInMilliseconds",), ("durationMs",), ("DurationMs",)),
}

# Enumerations: lower-cased spellings and integer values -> the v1.0 spelling.
ACTIONS = {
    "create": "create", "update": "update", "delete": "delete", "disable": "disable",
    "stageddelete": "stagedDelete", "other": "other", "unknownfuturevalue": "unknownFutureValue",
    0: "other", 1: "create", 2: "delete", 3: "disable", 4: "update", 5: "stagedDelete",
    6: "unknownFutureValue",
}  # fmt: skip
RESULTS = {
    "success": "success", "failure": "failure", "skipped": "skipped", "warning": "warning",
    "unknownfuturevalue": "unknownFutureValue",
    0: "success", 1: "failure", 2: "skipped", 3: "warning", 4: "unknownFutureValue",
}  # fmt: skip
STEP_TYPES = {
    "import": "import", "scoping": "scoping", "matching": "matching",
    "processing": "processing", "referenceresolution": "referenceResolution", "export": "export",
    "unknownfuturevalue": "unknownFutureValue",
    0: "import", 1: "scoping", 2: "matching", 3: "processing", 4: "referenceResolution",
    5: "export", 6: "unknownFutureValue",
}  # fmt: skip
ERROR_CATEGORIES = {
    "failure": "failure", "nonservicefailure": "nonServiceFailure", "success": "success",
    "unknownfuturevalue": "unknownFutureValue",
    0: "failure", 1: "nonServiceFailure", 2: "success", 3: "unknownFutureValue",
}  # fmt: skip
INITIATOR_TYPES = {
    "user": "user", "application": "application", "system": "system",
    "unknownfuturevalue": "unknownFutureValue",
    0: "user", 1: "application", 2: "system", 3: "unknownFutureValue",
}  # fmt: skip

EVENT_ENUMS: dict[str, tuple[dict, tuple[Path, ...]]] = {
    "action": (
        ACTIONS,
        (("provisioningAction",), ("action",), ("ProvisioningAction",), ("Action",)),
    ),
    "status": (
        RESULTS,
        (
            ("@verdict", "result"),
            *_each(_STATUS_INFO, "status", "Status"),
            *_each(_LEGACY_STATUS, "status", "Status"),
            ("resultType",),
            ("ResultType",),
        ),
    ),
    "error_category": (ERROR_CATEGORIES, _error("errorCategory")),
    "initiated_by_type": (
        INITIATOR_TYPES,
        _each(_INITIATOR, "initiatorType", "Type", "type", "initiatingType"),
    ),
}

STEP_LISTS: tuple[Path, ...] = (("provisioningSteps",), ("ProvisioningSteps",))
PROPERTY_LISTS: tuple[Path, ...] = (("modifiedProperties",), ("ModifiedProperties",))

STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "Name"),
    "description": ("description", "Description"),
}
STEP_ENUMS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "step_type": (STEP_TYPES, ("provisioningStepType", "type", "Type", "ProvisioningStepType")),
    "status": (RESULTS, ("status", "Status")),
}
STEP_TIME = ("timestamp", "Timestamp")
STEP_DETAILS = ("details", "Details")

PROPERTY_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("displayName", "name", "DisplayName", "Name"),
    "old_value": ("oldValue", "OldValue"),
    "new_value": ("newValue", "NewValue"),
}

# Keys in step details that feed event columns.
SKIP_REASON_KEY = "SkipReason"
REPORTABLE_ID_KEY = "ReportableIdentifier"

# Key under which a dialect view records how its fields are spelled in the input (see
# `dialects.respell`); its presence also asks for the time to be checked record by record.
SPELLED = "@spelled"

# Top-level fields that only repeat what mapped fields say (so not copied to `extra`).
REDUNDANT: frozenset[str] = frozenset(
    {
        "@odata.type",
        "endTime",  # on-demand: startTime + duration
        "identity",  # diagnostic envelope: = id
        SPELLED,  # set by the dialect views, not data
        "category",
        "operationName",
        "operationVersion",
        "Category",
        "OperationName",
        "OperationVersion",
        "Type",  # Log Analytics table name
    }
)

# Portal CSV download: normalized header (lower case, letters and digits only) -> Graph path.
PORTAL_EVENT_COLUMNS: dict[str, Path] = {
    "dateutc": ("activityDateTime",),
    "date": ("activityDateTime",),
    "activitydatetime": ("activityDateTime",),
    "id": ("id",),
    "tenantid": ("tenantId",),
    "jobid": ("jobId",),
    "cycleid": ("cycleId",),
    "changeid": ("changeId",),
    "action": ("action",),
    "status": ("statusInfo", "status"),
    "errorcode": ("statusInfo", "errorCode"),
    "errorcategory": ("statusInfo", "errorCategory"),
    "reason": ("statusInfo", "reason"),
    "statusreason": ("statusInfo", "reason"),
    "additionaldetails": ("statusInfo", "additionalDetails"),
    "recommendedaction": ("statusInfo", "recommendedAction"),
    "durationms": ("durationInMilliseconds",),
    "duration": ("durationInMilliseconds",),
    "serviceprincipalid": ("servicePrincipal", "id"),
    "serviceprincipalname": ("servicePrincipal", "displayName"),
    "sourcesystemid": ("sourceSystem", "id"),
    "sourcesystemname": ("sourceSystem", "displayName"),
    "targetsystemid": ("targetSystem", "id"),
    "targetsystemname": ("targetSystem", "displayName"),
    "sourceidentityid": ("sourceIdentity", "id"),
    "sourceidentityname": ("sourceIdentity", "displayName"),
    "sourceidentitytype": ("sourceIdentity", "identityType"),
    "targetidentityid": ("targetIdentity", "id"),
    "targetidentityname": ("targetIdentity", "displayName"),
    "targetidentitytype": ("targetIdentity", "identityType"),
    "initiatedbyid": ("initiatedBy", "id"),
    "initiatedbyname": ("initiatedBy", "displayName"),
    "initiatedbytype": ("initiatedBy", "initiatorType"),
}
PORTAL_STEP_COLUMNS: dict[str, str] = {
    "stepnumber": "@position",
    "name": "name",
    "type": "provisioningStepType",
    "steptype": "provisioningStepType",
    "status": "status",
    "description": "description",
    "details": "details",
}
PORTAL_PROPERTY_COLUMNS: dict[str, str] = {
    "displayname": "displayName",
    "name": "displayName",
    "oldvalue": "oldValue",
    "newvalue": "newValue",
}
PORTAL_JOIN_COLUMN = origin.PORTAL_JOIN_COLUMN  # the portal CSV container's join column

# Log Analytics columns that hold JSON text.
LOG_ANALYTICS_JSON_COLUMNS: tuple[str, ...] = (
    "ServicePrincipal",
    "SourceIdentity",
    "TargetIdentity",
    "TargetSystem",
    "InitiatedBy",
    "ProvisioningStatusInfo",
    "ProvisioningSteps",
    "ModifiedProperties",
)


Trie = dict[str, "Trie"]


def _known_keys() -> Trie:
    """The keys the alias table reads, as a trie: a leaf ({}) is read whole, a node with
    children is an object of which only those keys are read (the rest goes to `extra`)."""
    paths: list[Path] = []
    for spec in (EVENT_FIELDS, EVENT_TIMES, EVENT_INTS):
        paths += [p for candidates in spec.values() for p in candidates]
    paths += [p for _, candidates in EVENT_ENUMS.values() for p in candidates]
    paths += [*STEP_LISTS, *PROPERTY_LISTS]
    trie: Trie = {}
    for path in paths:
        node = trie
        for key in path:
            node = node.setdefault(key, {})
    _mark_annotations(trie)
    for key in REDUNDANT:
        trie.setdefault(key, {})
    return trie


def _mark_annotations(node: Trie) -> None:
    """OData type annotations carry no data: never copy them to `extra`."""
    for child in node.values():
        if child:
            _mark_annotations(child)
    node.setdefault("@odata.type", {})


KNOWN_KEYS: Trie = _known_keys()
