"""The Graph beta record as the fast path decodes it: every declared field a raw token.

Older beta responses (DESIGN §2 dialect `graph.beta.legacy`, also the portal's JSON
download) spell the action `action` ("Create") and the status a flat `statusInfo`
(`#microsoft.graph.statusDetails`, its error fields on it, `errorCategory` PascalCase);
newer ones carry both those and v1.0's `provisioningAction` / `provisioningStatusInfo`. The
record is v1.0's (`graph_v1_records`) with the two legacy fields added; an unknown field
anywhere fails the page (the general path keeps it in `extra`). Below the structs, where
each column is read: the alias table's spellings, in its order, as `(holder, field)` pairs.
"""

from __future__ import annotations

import msgspec

from provlytics.normalize import aliases as A
from provlytics.normalize import graph_v1_records as v1
from provlytics.normalize.graph_v1_records import NULL, R, Where

ABSENT = msgspec.Raw(b"")  # a field the record does not have (`action` vs `statusInfo`)


class LegacyStatus(v1.ErrorInfo):
    """The flat `statusInfo`: the status with the error's fields beside it."""

    status: R = NULL


class Record(v1.Record):
    """A beta `provisioningObjectSummary`: v1.0's fields and the two legacy ones."""

    action: R = ABSENT
    status_info: LegacyStatus | msgspec.UnsetType | None = msgspec.UNSET


class BetaPage(v1.GraphPage):
    value: list[Record]  # type: ignore[assignment]


def _error(field: str) -> tuple[Where, ...]:
    return (("error", field), ("legacy", field))


_HOLDERS = {
    "service_principal": "sp",
    "source_system": "source_system",
    "target_system": "target_system",
    "source": "source",
    "target": "target",
    "initiated_by": "initiator",
}
# Event columns: the alias table's spellings in its order, where this dialect has them.
TEXTS: dict[str, tuple[Where, ...]] = {
    "event_id": (("props", "id"),),
    "tenant_id": (("props", "tenant_id"),),
    "job_id": (("props", "job_id"),),
    "cycle_id": (("props", "cycle_id"),),
    "change_id": (("props", "change_id"),),
    "error_code": _error("error_code"),
    "error_reason": _error("reason"),
    "error_details": _error("additional_details"),
    "recommended_action": _error("recommended_action"),
    **{
        f"{column}_{part}": ((holder, field),)
        for column, holder in _HOLDERS.items()
        for part, field in (("id", "id"), ("name", "display_name"))
    },
    "source_type": (("source", "identity_type"),),
    "target_type": (("target", "identity_type"),),
    "activity_time": (("props", "activity_date_time"),),
}
ENUMS: dict[str, tuple[dict, tuple[Where, ...]]] = {
    "action": (A.ACTIONS, (("props", "provisioning_action"), ("props", "action"))),
    "status": (A.RESULTS, (("psi", "status"), ("legacy", "status"))),
    "error_category": (A.ERROR_CATEGORIES, _error("error_category")),
    "initiated_by_type": (A.INITIATOR_TYPES, (("initiator", "initiator_type"),)),
}
DURATION: tuple[Where, ...] = (("props", "duration_in_milliseconds"),)
# `extra`, in the order of the record's fields as Graph writes them.
EXTRA: tuple[tuple[str, Where], ...] = (
    ("sourceSystem.details", ("source_system", "details")),
    ("targetSystem.details", ("target_system", "details")),
    ("sourceIdentity.details", ("source", "details")),
    ("targetIdentity.details", ("target", "details")),
)
