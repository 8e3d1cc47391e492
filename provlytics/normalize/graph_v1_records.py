"""The Graph v1.0 record as the fast path decodes it: every declared field a raw token.

`msgspec` decodes a page against these structs: an unknown field anywhere fails the page
(the general path keeps it in `extra`), and each value comes as a `msgspec.Raw` token (where
it starts and ends in the page, nothing built) for `graph_v1` to turn into columns. The
fields are exactly those of `provisioningObjectSummary` the alias table reads; Graph types
them all as optional, so any may be absent (a page saved with `$select`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

R = msgspec.Raw
NULL = msgspec.Raw(b"null")
Where = tuple[str, str]  # a token's place in the typed decoders: (holder, struct field)


class _Strict(
    msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, rename="camel", gc=False
):
    """Values are raw tokens (or short text); no cycles can form, so the collector need not
    track these objects."""


class _Annotated(_Strict):
    """An object whose OData type annotation carries no data."""

    odata_type: str | None = msgspec.field(default=None, name="@odata.type")


class Named(_Annotated):
    id: R = NULL
    display_name: R = NULL


class Initiator(Named):
    initiator_type: R = NULL


class System(Named):
    details: R = NULL  # an open bag: kept as its JSON text


class Identity(System):
    identity_type: R = NULL


class ErrorInfo(_Annotated):
    error_code: R = NULL
    error_category: R = NULL
    reason: R = NULL
    additional_details: R = NULL
    recommended_action: R = NULL


class StatusInfo(_Annotated):
    status: R = NULL
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


class Record(_Annotated):
    """One `provisioningObjectSummary` of Graph v1.0, every value as its raw JSON token."""

    id: R = NULL
    activity_date_time: R = NULL
    tenant_id: R = NULL
    job_id: R = NULL
    cycle_id: R = NULL
    change_id: R = NULL
    provisioning_action: R = NULL
    provisioning_status_info: StatusInfo | None = None
    duration_in_milliseconds: R = NULL
    initiated_by: Initiator | None = None
    service_principal: Named | None = None
    source_system: System | None = None
    target_system: System | None = None
    source_identity: Identity | None = None
    target_identity: Identity | None = None
    provisioning_steps: list[Step] | None = None
    modified_properties: list[Property] | None = None


class GraphPage(_Strict):
    value: list[Record]
    odata_context: str | None = msgspec.field(default=None, name="@odata.context")
    odata_next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    odata_count: int | None = msgspec.field(default=None, name="@odata.count")


_NAMED, _INITIATOR, _SYSTEM, _IDENTITY = Named(), Initiator(), System(), Identity()


def party_holders(records: Sequence[Any]) -> dict[str, list]:
    """The objects the columns of an event's parties are read from, one per record (an
    empty one where absent): `initiator`, `sp` (service principal), `source_system`,
    `target_system`, `source` and `target` (identities). Graph v1.0 and beta records spell
    these fields alike."""
    return {
        "initiator": [r.initiated_by or _INITIATOR for r in records],
        "sp": [r.service_principal or _NAMED for r in records],
        "source_system": [r.source_system or _SYSTEM for r in records],
        "target_system": [r.target_system or _SYSTEM for r in records],
        "source": [r.source_identity or _IDENTITY for r in records],
        "target": [r.target_identity or _IDENTITY for r in records],
    }
