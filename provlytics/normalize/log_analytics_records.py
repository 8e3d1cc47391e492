"""The Log Analytics `AADProvisioningLogs` row as the fast path decodes it.

A row (DESIGN §2 dialect `log_analytics`, a query result exported as JSON or CSV) has
PascalCase columns, of which the complex ones hold JSON *text* (`aliases.
LOG_ANALYTICS_JSON_COLUMNS`). `msgspec` decodes a page of rows against `Row`: the plain
columns as raw tokens, the JSON ones as text (or null), which is then decoded, column by
column for the whole page, against the objects of `diagnostic_records` (the same `Id` /
`Name` / `Type` spellings). An unknown column (or a decorated header such as
`TimeGenerated [UTC]`) fails the page: the general path reads it. Below the structs, where
each column is read: the alias table's spellings, in its order, as `(holder, field)` pairs.
"""

from __future__ import annotations

import msgspec

from provlytics.normalize import aliases as A
from provlytics.normalize.diagnostic_records import (
    TEXTS as DIAGNOSTIC_TEXTS,
)
from provlytics.normalize.diagnostic_records import (
    Identity,
    Initiator,
    Principal,
    Property,
    StatusInfo,
    Step,
    System,
)
from provlytics.normalize.graph_v1_records import NULL, R, Where

Text = str | None  # a JSON column: its text


class Row(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One row: plain columns as raw tokens, JSON columns as their text."""

    TenantId: R = NULL  # the workspace (kept in `extra`), not the tenant
    SourceSystem: R = NULL  # Log Analytics' agent column (kept in `extra`)
    TimeGenerated: R = NULL  # (absent: this very token; present: another, even if null)
    Id: R = NULL
    AADTenantId: R = NULL
    JobId: R = NULL
    CycleId: R = NULL
    ChangeId: R = NULL
    ProvisioningAction: R = NULL
    ResultType: R = NULL
    ResultSignature: R = NULL
    ResultDescription: R = NULL
    DurationMs: R = NULL
    OperationName: R = NULL
    OperationVersion: R = NULL
    Category: R = NULL
    CorrelationId: R = NULL
    ServicePrincipal: Text = None
    SourceIdentity: Text = None
    TargetIdentity: Text = None
    TargetSystem: Text = None
    InitiatedBy: Text = None
    ProvisioningStatusInfo: Text = None
    ProvisioningSteps: Text | msgspec.UnsetType = msgspec.UNSET
    ModifiedProperties: Text = None
    Type: R = NULL


ROW_COLUMNS = frozenset(Row.__struct_fields__)  # the columns the fast path knows

# The JSON columns: (column, holder, the type of its text's value).
JSON_COLUMNS: tuple[tuple[str, str, type], ...] = (
    ("ServicePrincipal", "sp", Principal | None),
    ("SourceIdentity", "source", Identity | None),
    ("TargetIdentity", "target", Identity | None),
    ("TargetSystem", "target_system", System | None),
    ("InitiatedBy", "initiator", Initiator | None),
    ("ProvisioningStatusInfo", "psi", StatusInfo | None),
    ("ProvisioningSteps", "steps", list[Step] | None),
    ("ModifiedProperties", "properties", list[Property] | None),
)

# (`SourceSystem` is Log Analytics' agent column: no source system is read in this dialect)
_HOLDER_COLUMNS = ("service_principal", "target_system", "source", "target", "initiated_by")
# Event columns: the alias table's spellings in its order, where this dialect has them.
TEXTS: dict[str, tuple[Where, ...]] = {
    "event_id": (("row", "Id"),),
    "tenant_id": (("row", "AADTenantId"),),
    "job_id": (("row", "JobId"),),
    "cycle_id": (("row", "CycleId"),),
    "change_id": (("row", "ChangeId"),),
    "error_code": (("error", "error_code"), ("row", "ResultSignature")),
    "error_reason": (("error", "reason"), ("row", "ResultDescription")),
    "error_details": (("error", "additional_details"),),
    "recommended_action": (("error", "recommended_action"),),
    **{
        column: wheres
        for column, wheres in DIAGNOSTIC_TEXTS.items()
        if column.startswith(_HOLDER_COLUMNS) and not column.startswith("source_system")
    },
    "source_system_id": (),
    "source_system_name": (),
    "activity_time": (("row", "TimeGenerated"),),
}
ENUMS: dict[str, tuple[dict, tuple[Where, ...]]] = {
    "action": (A.ACTIONS, (("row", "ProvisioningAction"),)),
    "status": (A.RESULTS, (("psi", "status"), ("psi", "upper_status"), ("row", "ResultType"))),
    "error_category": (A.ERROR_CATEGORIES, (("error", "error_category"),)),
    "initiated_by_type": (
        A.INITIATOR_TYPES,
        tuple(
            ("initiator", f) for f in ("initiator_type", "upper_type", "type", "initiating_type")
        ),
    ),
}
DURATION: tuple[Where, ...] = (("row", "DurationMs"),)
# `extra`, in the order of the general path's view (the row's columns, as exports write them).
EXTRA: tuple[tuple[str, Where], ...] = (
    ("TenantId", ("row", "TenantId")),
    ("SourceSystem", ("row", "SourceSystem")),
    ("CorrelationId", ("row", "CorrelationId")),
    ("SourceIdentity.details", ("source", "details")),
    ("TargetIdentity.details", ("target", "details")),
    ("TargetSystem.details", ("target_system", "details")),
)
