"""Diagnostic-settings pages the fast way: raw tokens (msgspec) straight to Arrow columns.

The records of a `PT1H.json` blob (JSON lines) or of an Event Hub batch are decoded against
structs (`diagnostic_records`) that declare the envelope and `properties` fields the alias
table reads in this dialect, every value a raw token; `typed_fast` turns the tokens of a
whole page into columns at once, as `graph_v1` does for Graph pages. The view the general
path builds (`dialects._diagnostic_view`: a field of `properties` wins unless null or empty,
else the envelope's) and the alias table's order of spellings are both "the first value that
is not null or empty", so each column is a coalesce of whole token columns (`SHAPE`).
Anything else is a surprise that sends the page down the general path (None): an undeclared
field, a value of another type, no id, an odd time, an unknown enumeration member, a bag
that is not an object, a `category` other than `ProvisioningLogs` as Azure Monitor spells it
(the general path sets the records of other Entra logs aside, `dialects.other_category`).
Tests hold both paths to the same rows, byte for byte.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from provlytics.normalize.diagnostic_records import (
    ABSENT,
    DURATION,
    ENUMS,
    EXTRA,
    TEXTS,
    ErrorInfo,
    Identity,
    Initiator,
    LegacyStatus,
    Principal,
    Record,
    StatusInfo,
    System,
)
from provlytics.normalize.dialects import PROVISIONING_CATEGORY, Dialect
from provlytics.normalize.graph_v1 import FastTables
from provlytics.normalize.raw_columns import decoded_tokens
from provlytics.normalize.typed_fast import Shape, page_batches

DIALECT = Dialect.DIAGNOSTIC.value
SHAPE = Shape(DIALECT, TEXTS, ENUMS, DURATION, EXTRA)
_DECODER = msgspec.json.Decoder(list[Record])
_PROVISIONING = msgspec.Raw(orjson.dumps(PROVISIONING_CATEGORY))  # the one category taken
_H = {
    "psi": StatusInfo(),
    "error": ErrorInfo(),
    "legacy": LegacyStatus(),
    "sp": Principal(),
    "initiator": Initiator(),
    "source_system": System(),
    "target_system": System(),
    "source": Identity(),
    "target": Identity(),
}


def looks_diagnostic(line: bytes | str) -> bool:
    """Whether a JSON lines page whose first line is `line` may hold diagnostic records
    (a cheap test before decoding: `category` and `properties` in the first record)."""
    text = line.decode(errors="replace") if isinstance(line, bytes) else line
    return '"properties"' in text and ('"category"' in text or '"operationName"' in text)


def tables_from_json(data: bytes | str, *, utf8: bool = False) -> FastTables | None:
    """A JSON array of diagnostic records straight to the tables; None if the text needs the
    general path (another shape, text not UTF-8, or any surprise `typed_fast` names).

    `utf8`: the bytes are known to be UTF-8 (JSON lines a file source checked), so they are
    not checked again."""
    records = _decode(data, utf8=utf8)
    if records is None:
        return None
    batches = page_batches(_holders(records), SHAPE)
    if batches is None:
        return None
    return FastTables(*batches, len(records))


def tables_from_records(records: list[Any]) -> FastTables | None:
    """Parsed diagnostic records (an Event Hub batch's `records`) to the tables, through
    their JSON text; None as `tables_from_json`, or if they cannot be written as JSON."""
    first = records[0] if records else None
    if type(first) is not dict or "properties" not in first:
        return None
    if "category" not in first and "operationName" not in first:
        return None
    try:
        data = orjson.dumps(records)
    except TypeError:  # too deep, or not JSON values: the general path names the record
        return None
    return tables_from_json(data)


def _decode(data: bytes | str, *, utf8: bool = False) -> list[Record] | None:
    records = decoded_tokens(_DECODER, data, "diagnostic", check_utf8=not utf8)
    if records is None:
        return None
    for record in records:
        category = record.category
        if category is ABSENT:
            if record.operation_name is ABSENT:
                return None  # not in the diagnostic dialect
        elif category != _PROVISIONING:
            return None  # another log's record (or an odd category): the general path's
    return records


def _holders(records: list[Record]) -> dict[str, list]:
    """The objects each column is read from, one per record (a default where absent)."""
    props = [r.properties for r in records]
    psi = [p.provisioning_status_info or _H["psi"] for p in props]
    return {
        "env": records,
        "props": props,
        "psi": psi,
        "error": [s.error_information or _H["error"] for s in psi],
        "legacy": [p.status_info or _H["legacy"] for p in props],
        "sp": [p.service_principal or _H["sp"] for p in props],
        "initiator": [p.initiated_by or _H["initiator"] for p in props],
        "source_system": [p.source_system or _H["source_system"] for p in props],
        "target_system": [p.target_system or _H["target_system"] for p in props],
        "source": [p.source_identity or _H["source"] for p in props],
        "target": [p.target_identity or _H["target"] for p in props],
    }
