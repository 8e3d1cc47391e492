"""The diagnostic-settings record as the fast path decodes it: every declared field a raw token.

An Azure Monitor `ProvisioningLogs` record (DESIGN §2 dialect `diagnostic`, as diagnostic
settings write it to storage or an Event Hub) is an envelope of the common resource-log
schema around `properties`, which hold the provisioning event with `Id`/`Name` spellings and
integer enumerations. `msgspec` decodes a page against these structs: an unknown field
anywhere fails the page (the general path keeps it in `extra`), and each value comes as a
`msgspec.Raw` token for `diagnostic_fast` to turn into columns. The fields are those the
alias table (`aliases`) reads in this dialect, the envelope fields it ignores (`REDUNDANT`)
and the envelope fields of the common schema that go to `extra` as they are. Below them,
where each column is read: the alias table's spellings, in its order, as struct fields.
"""

from __future__ import annotations

import msgspec

from provlytics.normalize import aliases as A
from provlytics.normalize.graph_v1_records import NULL, R, Where

ABSENT = msgspec.Raw(b"")  # a field the record does not have (`category` vs `operationName`)


class _Strict(msgspec.Struct, forbid_unknown_fields=True, rename="camel", gc=False):
    """Values are raw tokens; no cycles can form, so the collector need not track these."""


class _Annotated(_Strict):
    """An object whose OData type annotation carries no data."""

    odata_type: str | None = msgspec.field(default=None, name="@odata.type")


class Principal(_Annotated):
    """A service principal: Graph's and the export's spellings of its id and name."""

    id: R = NULL
    upper_id: R = msgspec.field(default=NULL, name="Id")
    display_name: R = NULL
    upper_name: R = msgspec.field(default=NULL, name="Name")
    name: R = NULL


class Initiator(Principal):
    initiator_type: R = NULL
    upper_type: R = msgspec.field(default=NULL, name="Type")
    type: R = NULL
    initiating_type: R = NULL


class System(Principal):
    """A source or target system; `details` is an open bag (kept in `extra`)."""

    details: R = NULL


class Identity(System):
    identity_type: R = NULL
    type: R = NULL
    upper_type: R = msgspec.field(default=NULL, name="Type")


class ErrorInfo(_Annotated):
    error_code: R = NULL
    error_category: R = NULL
    reason: R = NULL
    additional_details: R = NULL
    recommended_action: R = NULL


class LegacyStatus(_Annotated):
    """The deprecated `statusInfo`, as the export writes it (an integer `Status`)."""

    status: R = NULL
    upper_status: R = msgspec.field(default=NULL, name="Status")


class StatusInfo(LegacyStatus):
    error_information: ErrorInfo | None = None


class Step(_Strict):
    name: R = NULL
    provisioning_step_type: R = NULL
    status: R = NULL
    description: R = NULL
    details: R = NULL  # an open bag: kept as its JSON text


class Property(_Strict):
    display_name: R = NULL
    old_value: R = NULL
    new_value: R = NULL


class Properties(_Annotated):
    """The provisioning event inside the envelope."""

    id: R = NULL
    activity_date_time: R = NULL
    tenant_id: R = NULL
    job_id: R = NULL
    cycle_id: R = NULL
    change_id: R = NULL
    action: R = NULL
    provisioning_action: R = NULL
    provisioning_status_info: StatusInfo | None = None
    status_info: LegacyStatus | None = None
    duration_in_milliseconds: R = NULL
    service_principal: Principal | None = None
    source_system: System | None = None
    target_system: System | None = None
    initiated_by: Initiator | None = None
    source_identity: Identity | None = None
    target_identity: Identity | None = None
    provisioning_steps: list[Step] | None = None
    modified_properties: list[Property] | None = None


class Record(_Strict):
    """One diagnostic record: the envelope, every value a raw token, around `properties`."""

    properties: Properties
    time: R = NULL
    resource_id: R = NULL
    operation_name: R = ABSENT
    operation_version: R = NULL
    category: R = ABSENT
    tenant_id: R = NULL
    result_type: R = NULL
    result_signature: R = NULL
    result_description: R = NULL
    duration_ms: R = NULL
    caller_ip_address: R = NULL
    correlation_id: R = NULL
    identity: R = NULL
    level: R = msgspec.field(default=NULL, name="Level")
    location: R = NULL


# Where the fast path reads each column: (holder, struct field) pairs, holders being the
# envelope (`env`), `properties` (`props`) and the objects inside them (`diagnostic_fast`).
_ID, _UPPER_ID = ("id", "upper_id")
_NAMES = ("display_name", "upper_name", "name")  # principals, identities, initiators
_SYSTEM_NAMES = ("display_name", "name", "upper_name")  # systems (as `aliases` lists them)


def _each(holder: str, *fields: str) -> tuple[Where, ...]:
    return tuple((holder, field) for field in fields)


# Event columns: the alias table's spellings in its order, where this dialect has them.
TEXTS: dict[str, tuple[Where, ...]] = {
    "event_id": (("props", "id"),),
    "tenant_id": (("props", "tenant_id"), ("env", "tenant_id")),
    "job_id": (("props", "job_id"),),
    "cycle_id": (("props", "cycle_id"),),
    "change_id": (("props", "change_id"),),
    "error_code": (("error", "error_code"), ("env", "result_signature")),
    "error_reason": (("error", "reason"), ("env", "result_description")),
    "error_details": (("error", "additional_details"),),
    "recommended_action": (("error", "recommended_action"),),
    "service_principal_id": _each("sp", _ID, _UPPER_ID),
    "service_principal_name": _each("sp", *_NAMES),
    "source_system_id": _each("source_system", _ID, _UPPER_ID),
    "source_system_name": _each("source_system", *_SYSTEM_NAMES),
    "target_system_id": _each("target_system", _ID, _UPPER_ID),
    "target_system_name": _each("target_system", *_SYSTEM_NAMES),
    "source_id": _each("source", _ID, _UPPER_ID),
    "source_name": _each("source", *_NAMES),
    "source_type": _each("source", "identity_type", "type", "upper_type"),
    "target_id": _each("target", _ID, _UPPER_ID),
    "target_name": _each("target", *_NAMES),
    "target_type": _each("target", "identity_type", "type", "upper_type"),
    "initiated_by_id": _each("initiator", _ID, _UPPER_ID),
    "initiated_by_name": _each("initiator", *_NAMES),
    "activity_time": (("props", "activity_date_time"), ("env", "time")),
}
ENUMS: dict[str, tuple[dict, tuple[Where, ...]]] = {
    "action": (A.ACTIONS, _each("props", "provisioning_action", "action")),
    "status": (
        A.RESULTS,
        (
            *_each("psi", "status", "upper_status"),
            *_each("legacy", "status", "upper_status"),
            ("env", "result_type"),
        ),
    ),
    "error_category": (A.ERROR_CATEGORIES, (("error", "error_category"),)),
    "initiated_by_type": (
        A.INITIATOR_TYPES,
        _each("initiator", "initiator_type", "upper_type", "type", "initiating_type"),
    ),
}
DURATION: tuple[Where, ...] = (("props", "duration_in_milliseconds"), ("env", "duration_ms"))
# `extra`, in the order of the general path's view: the envelope's fields, then `properties`'.
EXTRA: tuple[tuple[str, Where], ...] = (
    ("resourceId", ("env", "resource_id")),
    ("callerIpAddress", ("env", "caller_ip_address")),
    ("correlationId", ("env", "correlation_id")),
    ("Level", ("env", "level")),
    ("location", ("env", "location")),
    ("sourceSystem.details", ("source_system", "details")),
    ("targetSystem.details", ("target_system", "details")),
    ("sourceIdentity.details", ("source", "details")),
    ("targetIdentity.details", ("target", "details")),
)
