"""`attribute_changes`: old -> new value per changed attribute, with modified-property hygiene.

Facts used (`shared/reference/workbook-parity.md` §6): `modifiedProperties.oldValue` is often
null; community tooling (`FIMTooler/EntraIDProvisioningLogsReporter`) fills it from the
details of the event's matching step (`EntryImport`, `EntryImportByMatchingProperty` or
`EntryImportByJoiningProperty`, type `matching`), which hold the target object's current
values, looked up by attribute name case-insensitively. `accountDisabled` with a null old value
is logged on every update of some apps, so an update whose only change it is, is noise.

The work is done in Arrow and numpy: one hash lookup maps the properties' and the listing
steps' event ids to event rows, everything after that is integers, and Arrow's JSON reader
parses all the details bags in one call: 1.5 s for a million events on two cores (`python -m
bench.analysis`), where pandas merges took about ten times longer.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from provlytics.analysis.access import on_path, table
from provlytics.analysis.columns import BOOL, STR, TIME, empty
from provlytics.analysis.notices import warn_absent
from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

CHANGE_COLUMNS = [
    "event_id",
    "activity_time",
    "job_id",
    "source_id",
    "reportable_identifier",
    "target_system_name",
    "action",
    "status",
    "attribute",
    "old_value",
    "new_value",
    "old_value_backfilled",
    "disagrees",
    "only_account_disabled",
]
_DTYPES = {
    "activity_time": TIME,
    "old_value_backfilled": BOOL,
    "disagrees": BOOL,
    "only_account_disabled": BOOL,
}
# Matching steps whose details are the target object's attributes (community practice).
TARGET_STEP_NAMES = ("entryimport", "entryimportbymatchingproperty", "entryimportbyjoiningproperty")
PROPERTY_COLUMNS = ("event_id", "property_index", "name", "old_value", "new_value")
STEP_COLUMNS = ("event_id", "step_index", "name", "step_type", "details")
_TEXT = pa.large_string()


@on_path
def attribute_changes(frames, attribute: str | None = None) -> pd.DataFrame:
    """Old -> new value per changed attribute per event, with modified-property hygiene.

    A null logged old value is back-filled from the target object's values in the event's first
    matching step that lists them (`EntryImport`, `EntryImportByMatchingProperty`,
    `EntryImportByJoiningProperty`), keys compared case-insensitively.

    Args:
        frames: the tables, or a store or snapshot path (then only the columns used of
            events, modified_properties and steps are read).
        attribute: keep only this attribute (case-insensitive, surrounding spaces ignored);
            None keeps all. One that no modified property names warns (`UserWarning`, naming
            the closest attribute names present).

    Returns:
        Columns `event_id, activity_time, job_id, source_id, reportable_identifier,
        target_system_name, action, status, attribute, old_value, new_value`,
        `old_value_backfilled` (the null logged old value was filled from the target details),
        `disagrees` (a logged old value differs from the target details' value),
        `only_account_disabled` (the event's only change is `accountDisabled` with a null logged
        old value: the noise logged on every update). In time order, then property order.

    Raises:
        ConfigError: an `attribute` that is not text.
        InputError: a table lacks a column it needs (e.g. an older schema version).

    Example:
        >>> pv.analysis.attribute_changes(frames, "department")[["old_value", "new_value"]]
    """
    if attribute is not None and not isinstance(attribute, str):
        raise ConfigError(
            f"attribute_changes(attribute=...): got {attribute!r} "
            f"({type(attribute).__name__}); takes an attribute name as text, or None"
        )
    attribute = None if attribute is None else attribute.strip()
    properties = table(frames, "modified_properties", PROPERTY_COLUMNS)
    out = changes_of(
        table(frames, "events", CHANGE_COLUMNS[:8]),
        properties,
        table(frames, "steps", STEP_COLUMNS),
        attribute=attribute,
    )
    if attribute is not None and out.empty:
        names = properties["name"].dropna().unique()
        if attribute.lower() not in {str(n).lower() for n in names}:
            warn_absent("attribute", attribute, names)
    return out


def changes_of(
    events: pd.DataFrame,
    properties: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    attribute: str | None = None,
) -> pd.DataFrame:
    """`attribute_changes` over given events, modified_properties and steps frames."""
    if events.empty or properties.empty:
        return empty(CHANGE_COLUMNS, _DTYPES)
    props = _arrow(properties, PROPERTY_COLUMNS)
    context = _arrow(events, CHANGE_COLUMNS[:8])
    event_ids = context["event_id"].combine_chunks()
    steps = _arrow(steps, STEP_COLUMNS)
    listing = _listing_steps(steps)
    # the event of each property and listing step as its row number in `context`: one string
    # hash lookup for both, then integers (filters, not takes: columns read from Parquet come
    # in many chunks, and a take across chunks copies the whole column first)
    both = props["event_id"].chunks + steps["event_id"].filter(pa.array(listing)).chunks
    codes = _codes(pa.chunked_array(both, _TEXT), event_ids)
    at, step_at = codes[: props.num_rows], codes[props.num_rows :]
    noise = _only_account_disabled(props, at, len(event_ids))
    keep = at >= 0
    if attribute is not None:
        keep &= _equal(pc.utf8_lower(props["name"]), attribute.lower()).to_numpy()
    if not keep.any():
        return empty(CHANGE_COLUMNS, _DTYPES)
    props, at = props.filter(pa.array(keep)), at[keep]
    details = _target_details(steps, listing, step_at, at, len(event_ids))
    # time order (then the events' order), then property order, by integer ranks; every
    # column is taken once, in that order, from one chunk
    rank = np.empty(len(event_ids), np.int64)
    rank[pc.sort_indices(context["activity_time"]).to_numpy()] = np.arange(len(event_ids))
    order = np.lexsort((props["property_index"].to_numpy(), rank[at]))
    at, taken = at[order], pa.array(order)
    props = {c: props[c].combine_chunks().take(taken) for c in PROPERTY_COLUMNS}
    target = _target_values(details, at, props["name"])
    logged = props["old_value"]
    columns = {"event_id": props["event_id"]}
    columns |= {c: context[c].combine_chunks().take(pa.array(at)) for c in CHANGE_COLUMNS[1:8]}
    columns |= {
        "attribute": props["name"],
        "old_value": pc.coalesce(logged, target),
        "new_value": props["new_value"],
        "old_value_backfilled": pc.and_(pc.is_null(logged), pc.is_valid(target)),
        "disagrees": pc.fill_null(pc.not_equal(logged, target), False),
        "only_account_disabled": noise[at],
    }
    return pa.table(columns).to_pandas(types_mapper=_PANDAS.get)


_PANDAS = {_TEXT: STR, pa.string(): STR}


def _arrow(df: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pa.Table:
    """Columns of a frame as Arrow (no copy for Arrow-backed columns), text as large_string."""
    data = pa.Table.from_pandas(df[list(columns)], preserve_index=False)
    return pa.table(
        {
            name: col.cast(_TEXT)
            if pa.types.is_string(col.type) or pa.types.is_null(col.type)
            else col
            for name, col in zip(data.column_names, data.columns, strict=True)
        }
    )


def _codes(values: pa.ChunkedArray | pa.Array, universe: pa.Array) -> np.ndarray:
    """Position of each value in `universe` (its first occurrence), -1 when absent or null."""
    found = pc.index_in(values, value_set=universe)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _equal(values: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(values, pa.scalar(value, _TEXT)), False)


def _only_account_disabled(props: pa.Table, at: np.ndarray, events: int) -> np.ndarray:
    """Per event (row of the events), whether its only modified property is accountDisabled
    with a null old value."""
    known = at >= 0
    counts = np.bincount(at[known], minlength=events)
    lone = np.zeros(len(at), bool)
    lone[known] = counts[at[known]] == 1
    noise = (
        lone
        & _equal(pc.utf8_lower(props["name"]), "accountdisabled").to_numpy()
        & pc.is_null(props["old_value"]).to_numpy()
    )
    out = np.zeros(events, bool)
    out[at[noise]] = True
    return out


def _target_values(
    details: tuple[np.ndarray, list[str], pa.Array], at: np.ndarray, names: pa.ChunkedArray
) -> pa.Array:
    """The value of each (event row `at`, attribute name) in the target `details` (keys
    compared case-insensitively), or null."""
    codes, keys, values = details
    if not len(codes):
        return pa.nulls(len(at), _TEXT)
    key = _codes(pc.utf8_lower(names), pa.array(keys, _TEXT))
    wanted = at * len(keys) + key
    order = np.argsort(codes, kind="stable")
    listed = codes[order]
    slot = np.searchsorted(listed, wanted).clip(0, len(listed) - 1)
    hit = (key >= 0) & (listed[slot] == wanted)
    return values.take(pa.array(np.where(hit, order[slot], -1), mask=~hit))


def _listing_steps(steps: pa.Table) -> np.ndarray:
    """Which steps (a boolean mask) list the target object's values: matching steps named
    EntryImport, EntryImportByMatchingProperty or EntryImportByJoiningProperty with a
    non-empty details object."""
    details = steps["details"]
    candidate = _all(
        _equal(steps["step_type"], "matching"),
        _any(*(pc.match_like(steps["name"], n, ignore_case=True) for n in TARGET_STEP_NAMES)),
        pc.fill_null(pc.starts_with(details, "{"), False),
        pc.fill_null(pc.not_equal(details, pa.scalar("{}", _TEXT)), False),
    )
    return pc.fill_null(candidate, False).to_numpy()


def _target_details(
    steps: pa.Table, listing: np.ndarray, code: np.ndarray, at: np.ndarray, events: int
) -> tuple[np.ndarray, list[str], pa.Array]:
    """The target values listed by the first listing step (mask `listing`, of event rows
    `code`) of each wanted event (rows `at`): `(codes, keys, values)`, where value i belongs to
    event row `codes[i] // len(keys)` and key `keys[codes[i] % len(keys)]` (lower-cased; when
    two keys differ only in case the first one read wins)."""
    rows = np.flatnonzero(listing)
    index = steps["step_index"].filter(pa.array(listing)).to_numpy()
    wanted = np.zeros(events, bool)
    wanted[at] = True
    keep = code >= 0
    keep[keep] = wanted[code[keep]]
    rows, code, index = rows[keep], code[keep], index[keep]
    # the first listing step of each event: by event, then step index
    order = np.lexsort((index, code))
    rows, code = rows[order], code[order]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else code
    rows, code = rows[first], code[first]
    if not len(rows):
        return np.zeros(0, np.int64), [], pa.array([], _TEXT)
    order = np.argsort(rows)  # the details in step order, read with a filter
    code, chosen = code[order], np.zeros(len(listing), bool)
    chosen[rows] = True
    bag = _read_bags(steps["details"].filter(pa.array(chosen)).combine_chunks())
    if bag is None:
        return np.zeros(0, np.int64), [], pa.array([], _TEXT)
    columns = {}
    for name, column in zip(bag.column_names, bag.columns, strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns.setdefault(name.lower(), column)  # details values are strings
    keys = list(columns)
    codes, values = [], []
    for number, column in enumerate(columns.values()):
        present = column.is_valid().to_numpy()
        codes.append(code[present] * len(keys) + number)
        values.append(column.drop_null().combine_chunks().cast(_TEXT))
    if not keys:
        return np.zeros(0, np.int64), [], pa.array([], _TEXT)
    return np.concatenate(codes), keys, pa.concat_arrays(values)


def _all(*masks: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_(out, mask)
    return out


def _any(*masks: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    out = masks[0]
    for mask in masks[1:]:
        out = pc.or_(out, mask)
    return out


def _read_bags(text: pa.Array) -> pa.Table | None:
    """Parse JSON objects, one per element (none null), with one call of Arrow's JSON reader
    straight over the array's character buffer (objects need no separator, and may span
    lines); None (and a warning) unless that gives exactly one object per element."""
    if pa.types.is_string(text.type):
        text = text.cast(_TEXT)
    ends = np.frombuffer(text.buffers()[1], np.int64)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2][int(ends[0]) : int(ends[-1])]
    options = pa_json.ParseOptions(newlines_in_values=True)
    try:
        bag = pa_json.read_json(pa.BufferReader(data), parse_options=options)
        dated = [f.name for f in bag.schema if pa.types.is_timestamp(f.type)]
        if dated:  # the reader took date-like text for timestamps: read those keys as text
            schema = pa.schema([(n, pa.string()) if n in dated else bag.schema.field(n)
                                for n in bag.column_names])  # fmt: skip
            options = pa_json.ParseOptions(newlines_in_values=True, explicit_schema=schema)
            bag = pa_json.read_json(pa.BufferReader(data), parse_options=options)
    except pa.ArrowInvalid as exc:
        logger.warning("step details are not all JSON objects, old values not back-filled: %s", exc)
        return None
    if bag.num_rows != len(text):
        logger.warning("step details hold %d objects for %d steps, old values not back-filled",
                       bag.num_rows, len(text))  # fmt: skip
        return None
    return bag
