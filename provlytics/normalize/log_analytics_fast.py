"""Log Analytics exports the fast way: typed rows, their JSON columns decoded page-wide.

A page of `AADProvisioningLogs` rows (a JSON array export, or the rows of a CSV export) is
decoded against `log_analytics_records.Row`; the text of each JSON column is then joined
over the page and decoded in one go against its objects (a blank text is null, as the
general path's view makes it), and `typed_fast` turns the tokens into columns, each a
coalesce of the spellings the alias table reads in its order. Every row must be one the
general path takes for this dialect (`AADTenantId`, `ProvisioningSteps` or `TimeGenerated`
present). Anything else sends the page down the general path (None): an unknown or
decorated column, JSON text that is not the object the column holds, or any surprise
`typed_fast` names.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import orjson

from provlytics.normalize.diagnostic_records import (
    ErrorInfo,
    Identity,
    Initiator,
    Principal,
    StatusInfo,
    System,
)
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.graph_v1 import FastTables, utf8_text
from provlytics.normalize.graph_v1_records import NULL
from provlytics.normalize.log_analytics_records import (
    DURATION,
    ENUMS,
    EXTRA,
    JSON_COLUMNS,
    TEXTS,
    Row,
)
from provlytics.normalize.typed_fast import Shape, page_batches

logger = logging.getLogger(__name__)

SHAPE = Shape(Dialect.LOG_ANALYTICS.value, TEXTS, ENUMS, DURATION, EXTRA)
_DECODER = msgspec.json.Decoder(list[Row])
_COLUMN_DECODERS = {column: msgspec.json.Decoder(list[kind]) for column, _h, kind in JSON_COLUMNS}
_DEFAULTS = {
    "sp": Principal(),
    "source": Identity(),
    "target": Identity(),
    "target_system": System(),
    "initiator": Initiator(),
    "psi": StatusInfo(),
}
_NO_ERROR = ErrorInfo()


class _Children(msgspec.Struct, gc=False):
    """A row's steps and modified properties, where `typed_fast` looks for them."""

    provisioning_steps: list | None
    modified_properties: list | None


def looks_log_analytics(data: bytes) -> bool:
    """Whether a page's text may hold Log Analytics rows (a cheap test before decoding)."""
    return b'"AADTenantId"' in data or b'"TimeGenerated"' in data


def tables_from_json(data: bytes) -> FastTables | None:
    """A JSON array of Log Analytics rows straight to the tables; None if it needs the
    general path."""
    if not utf8_text(data):
        return None
    try:
        rows = _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        logger.debug("not a plain Log Analytics page (%s): using the general path", exc)
        return None
    return _tables(rows)


def tables_from_records(records: list[Any]) -> FastTables | None:
    """Parsed rows (a CSV export's, every cell text or None) to the tables, through their
    JSON text; None as `tables_from_json`, or if they cannot be written as JSON."""
    first = records[0] if records else None
    if type(first) is not dict or not ("AADTenantId" in first or "TimeGenerated" in first):
        return None
    try:
        data = orjson.dumps(records)
    except TypeError:  # not JSON values: the general path names the record
        return None
    return tables_from_json(data)


def _tables(rows: list[Row]) -> FastTables | None:
    if not rows or not all(
        r.AADTenantId is not NULL  # the default token: the row has no such column
        or r.TimeGenerated is not NULL
        or r.ProvisioningSteps is not msgspec.UNSET
        for r in rows
    ):
        return None  # a row in another dialect
    holders = _holders(rows)
    if holders is None:
        return None
    batches = page_batches(holders, SHAPE)
    if batches is None:
        return None
    return FastTables(*batches, len(rows))


def _holders(rows: list[Row]) -> dict[str, list] | None:
    """The objects each column is read from, one per row; None if a JSON column's text is
    not the object it holds."""
    decoded = {}
    for column, holder, _kind in JSON_COLUMNS:
        values = _json_column([getattr(r, column) for r in rows], column)
        if values is None:
            return None
        decoded[holder] = values
    holders = {
        holder: [value or default for value in decoded[holder]]
        for holder, default in _DEFAULTS.items()
    }
    holders["error"] = [s.error_information or _NO_ERROR for s in holders["psi"]]
    holders["row"] = rows
    holders["props"] = [
        _Children(steps, properties)
        for steps, properties in zip(decoded["steps"], decoded["properties"], strict=True)
    ]
    return holders


def _json_column(texts: list, column: str) -> list | None:
    """The values of one JSON column's texts, decoded in one go (blank text and null:
    None, as the general path's view); None if one is not what the column holds."""
    parts = [t if type(t) is str and t.strip() else "null" for t in texts]
    try:
        values = _COLUMN_DECODERS[column].decode(("[" + ",".join(parts) + "]").encode())
    except (msgspec.DecodeError, UnicodeEncodeError) as exc:
        logger.debug("%s: not the JSON the fast path reads (%s)", column, exc)
        return None
    if len(values) != len(texts):  # a text that held more than one value
        return None
    return values
