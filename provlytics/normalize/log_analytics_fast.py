"""Log Analytics exports the fast way: typed rows, their JSON columns decoded page-wide.

A page of `AADProvisioningLogs` rows (a JSON array export, or the rows of a CSV export) is
decoded against `log_analytics_records.Row`; the text of each JSON column is then joined
over the page and decoded in one go against its objects (a blank text is null, as the
general path's view makes it), and `typed_fast` turns the tokens into columns, each a
coalesce of the spellings the alias table reads in its order. A CSV export's page of Arrow
columns (`tables_from_csv`) skips the row decode: its plain columns go to `typed_fast` as
they are, its JSON columns' texts are joined by Arrow. Every row must be one the general
path takes for this dialect (`AADTenantId`, `ProvisioningSteps` or `TimeGenerated` present).
Anything else sends the page down the general path (None): an unknown or decorated column,
JSON text that is not the object the column holds, or any surprise `typed_fast` names.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize.diagnostic_records import (
    ErrorInfo,
    Identity,
    Initiator,
    Principal,
    StatusInfo,
    System,
)
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.graph_v1 import FastTables
from provlytics.normalize.graph_v1_records import NULL
from provlytics.normalize.log_analytics_records import (
    DURATION,
    ENUMS,
    EXTRA,
    JSON_COLUMNS,
    ROW_COLUMNS,
    TEXTS,
    Row,
)
from provlytics.normalize.raw_columns import decoded_tokens
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
    rows = decoded_tokens(_DECODER, data, "Log Analytics")
    return None if rows is None else _tables(rows)


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


def tables_from_csv(rows: pa.RecordBatch) -> FastTables | None:
    """A CSV export's rows as Arrow read them (every cell text, "" where empty) to the
    tables: the plain columns straight from Arrow's, the JSON columns' texts joined by
    Arrow and decoded column by column; None as `tables_from_json`."""
    names = set(rows.schema.names)
    if not rows.num_rows or not names <= ROW_COLUMNS or not names & _ANY_ROW_HAS:
        return None  # an unknown or decorated column; a row in another dialect
    decoded = {}
    for column, holder, _kind in JSON_COLUMNS:
        values = _json_cells(rows, column) if column in names else [None] * rows.num_rows
        if values is None:
            return None
        decoded[holder] = values
    cells = {
        ("row", name): pc.if_else(pc.equal(pc.binary_length(rows[name]), 0), _NULL, rows[name])
        for name in rows.schema.names
        if name not in _JSON_NAMES
    }
    batches = page_batches(_holders(decoded), SHAPE, cells=cells)
    return None if batches is None else FastTables(*batches, rows.num_rows)


_ANY_ROW_HAS = frozenset({"AADTenantId", "TimeGenerated"})  # as `tables_from_records` asks
_JSON_NAMES = frozenset(column for column, _h, _k in JSON_COLUMNS)
_NULL = pa.scalar(None, pa.string())
_BLANK = r"^[ \t\n\r\f\v]*$"  # blank to `str.strip` (some other blanks: not JSON either)
_BLANKS = pa.array(list(" \t\n\r\f\v"), pa.string())


def _json_cells(rows: pa.RecordBatch, column: str) -> list | None:
    """`_json_column` of a column of Arrow's cells, joined by Arrow."""
    cells = rows[column]
    first = pc.utf8_slice_codeunits(cells, 0, 1)  # a blank cell: empty, or starts blank
    if pc.any(pc.or_(pc.equal(first, ""), pc.is_in(first, value_set=_BLANKS))).as_py():
        cells = pc.if_else(pc.match_substring_regex(cells, _BLANK), "null", cells)
    listed = pa.ListArray.from_arrays(pa.array([0, len(cells)], pa.int32()), cells)
    joined = pc.binary_join(listed, ",")[0].as_buffer()
    try:
        values = _COLUMN_DECODERS[column].decode(b"[" + joined.to_pybytes() + b"]")
    except msgspec.DecodeError as exc:
        logger.debug("%s: not the JSON the fast path reads (%s)", column, exc)
        return None
    return values if len(values) == len(cells) else None  # a text of two values: None


def _tables(rows: list[Row]) -> FastTables | None:
    if not rows or not all(
        r.AADTenantId is not NULL  # the default token: the row has no such column
        or r.TimeGenerated is not NULL
        or r.ProvisioningSteps is not msgspec.UNSET
        for r in rows
    ):
        return None  # a row in another dialect
    decoded = {}
    for column, holder, _kind in JSON_COLUMNS:
        values = _json_column([getattr(r, column) for r in rows], column)
        if values is None:
            return None
        decoded[holder] = values
    holders = _holders(decoded)
    holders["row"] = rows
    batches = page_batches(holders, SHAPE)
    if batches is None:
        return None
    return FastTables(*batches, len(rows))


def _holders(decoded: dict[str, list]) -> dict[str, list]:
    """The objects each column is read from, one per row, from the JSON columns' values
    (`decoded`, by holder); the row itself is not among them."""
    holders = {
        holder: [value or default for value in decoded[holder]]
        for holder, default in _DEFAULTS.items()
    }
    holders["error"] = [s.error_information or _NO_ERROR for s in holders["psi"]]
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
