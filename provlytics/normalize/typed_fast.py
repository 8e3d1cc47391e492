"""Typed records to the tables, for the dialects whose columns each coalesce a few spellings.

`diagnostic_fast` and `beta_fast` decode a page against structs that declare a dialect's
fields, every value a raw token (`msgspec.Raw`), and hand the records here with their
*holders*: per name, one object per record that a column is read from (the record, its
`properties`, its status, its systems...; a default object where the record has none). A
`Shape` says, per column, the `(holder, field)` spellings the alias table reads in that
dialect, in its order; the general path takes the first that is not null or empty, so each
column is a coalesce of whole token columns. A holder's fields may instead come as Arrow
columns of text (`log_analytics_fast`: a CSV export's plain columns, as Arrow read them),
made tokens where a column needs them. Anything else is a surprise that sends the page
down the general path (None): a value of another type, no id, an odd time, an unknown
enumeration member, a bag that is not an object. Open bags (step details, the `extra`
values) are written as orjson writes them, so the rows are those of the general path, byte
for byte; tests hold both paths to that.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any

import msgspec
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize import aliases as A
from provlytics.normalize.extract import enum_member
from provlytics.normalize.graph_v1 import (
    assembled,
    details_found,
    flatten_children,
    table_batch,
)
from provlytics.normalize.graph_v1_records import NULL, Where
from provlytics.normalize.raw_columns import Bags, NotPlain, joined_objects, mapped, texts
from provlytics.normalize.times import to_timestamps
from provlytics.schema import TIME

logger = logging.getLogger(__name__)

_BLANK = frozenset({b'""'})  # besides null: what the alias table passes over
_EMPTY = frozenset({b"{}", b"[]", b'""'})  # values `extra` leaves out (besides null)
_NOTHING = frozenset({b"{}"})  # a details bag that holds nothing (besides null)
# An ISO time in UTC that Arrow and `datetime.fromisoformat` read alike (else: general path;
# e.g. year 0000, which Arrow reads and Python does not).
_ISO_UTC = (
    r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$"
)
_WHOLE = r'^(-?\d+|"-?\d+")$'  # a whole number, or its digits as text (durations)


def _compile_gather(wheres: Sequence[Where]) -> Callable[[dict[str, list]], list[list | None]]:
    """`gather(holders) -> [tokens, ...]`, the tokens of each `(holder, field)` (None where
    `holders` has no such holder: its columns are given). Built from source, as `graph_v1`
    builds its own: a list comprehension reads an attribute several times faster than
    `map(attrgetter)`."""
    parts = [
        f"([x.{name} for x in h[{holder!r}]] if {holder!r} in h else None)"
        for holder, name in wheres
    ]
    namespace: dict[str, Any] = {}
    exec("def gather(h):\n    return [" + ", ".join(parts) + "]", namespace)
    return namespace["gather"]


@dataclass(frozen=True)
class Shape:
    """Where one dialect's event columns are read, as the alias table spells them there.

    `texts`: text columns; `enums`: enumeration columns with their member tables;
    `duration`: `duration_ms`; `extra`: the `extra` keys in the general path's view order,
    each with where its value is; `dialect`: the events' `dialect` value. Holders `props`
    (with `provisioning_steps` and `modified_properties`) must be among the holders.
    """

    dialect: str
    texts: dict[str, tuple[Where, ...]]
    enums: dict[str, tuple[dict, tuple[Where, ...]]]
    duration: tuple[Where, ...]
    extra: tuple[tuple[str, Where], ...]
    choices: dict[str, tuple[Where, ...]] = field(init=False)
    wheres: dict[str, list[Where]] = field(init=False)  # of "texts", "choices", "extra"
    gather_texts: Callable = field(init=False)
    gather_choices: Callable = field(init=False)
    gather_extra: Callable = field(init=False)
    extra_keys: list[str] = field(init=False)

    def __post_init__(self) -> None:
        choices = {c: candidates for c, (_t, candidates) in self.enums.items()}
        choices["duration_ms"] = self.duration
        wheres = {
            "texts": [w for candidates in self.texts.values() for w in candidates],
            "choices": [w for candidates in choices.values() for w in candidates],
            "extra": [where for _key, where in self.extra],
        }
        setters = {
            "choices": choices,
            "wheres": wheres,
            "gather_texts": _compile_gather(wheres["texts"]),
            "gather_choices": _compile_gather(wheres["choices"]),
            "gather_extra": _compile_gather(wheres["extra"]),
            "extra_keys": [orjson.dumps(key).decode() + ":" for key, _where in self.extra],
        }
        for name, value in setters.items():
            object.__setattr__(self, name, value)


def page_batches(
    holders: dict[str, list], shape: Shape, *, cells: Mapping[Where, pa.Array] | None = None
) -> tuple[dict[str, pa.RecordBatch], dict[str, Sequence[int]]] | None:
    """A batch per table, and the record each row came from; None if a record needs the
    general path.

    `cells`: the values of the `(holder, field)` places whose holder is not among `holders`,
    as text columns (a CSV file's cells: null where empty; absent: the field is absent)."""
    n = len(holders["props"])
    try:
        steps = flatten_children([p.provisioning_steps or () for p in holders["props"]])
        properties = flatten_children([p.modified_properties or () for p in holders["props"]])
        details = _details([step.details for step in steps.items])
        found = details_found(details, steps.parents, n)
        events = _events(holders, shape, found, _Given(cells or {}, shape.wheres))
        step_batch = _steps(events, steps, details.column)
        property_batch = _properties(events, properties)
    except NotPlain as exc:
        logger.debug("not a plain %s page (%s): using the general path", shape.dialect, exc)
        return None
    return assembled(events, step_batch, property_batch, steps, properties)


def _absent(tokens: list | None) -> bool:
    """Whether no record has the field (every token the struct's default, or no holder):
    cheap, as the first token of a field some record has is seldom the default."""
    if tokens is None:
        return True
    return bool(tokens) and tokens[0] is NULL and tokens.count(NULL) == len(tokens)


def _present(lists: list[list | None], n: int, convert: Callable[[list], pa.Array]) -> dict:
    """{position: column} of the token lists some record has, converted in one go."""
    present = [i for i, tokens in enumerate(lists) if not _absent(tokens)]
    values = convert(list(chain.from_iterable(lists[i] or () for i in present)))
    return {i: values.slice(k * n, n) for k, i in enumerate(present)}


class _Given:
    """Columns given as cells (`page_batches`' `cells`), by position in each gather."""

    def __init__(self, cells: Mapping[Where, pa.Array], wheres: dict[str, list[Where]]) -> None:
        self.cells = cells
        self.at = {
            group: [(i, where) for i, where in enumerate(places) if where in cells]
            for group, places in wheres.items()
        }

    def texts(self) -> dict[int, pa.Array]:
        return {i: self.cells[where] for i, where in self.at["texts"]}

    def tokens(self, group: str) -> dict[int, pa.Array]:
        """Cells as the JSON string tokens of their text (null where empty); raises
        `NotPlain` for a cell JSON would write with an escape."""
        return {i: _string_tokens(self.cells[where]) for i, where in self.at[group]}


def _string_tokens(cells: pa.Array) -> pa.Array:
    """Text cells as JSON string tokens (`"text"`); raises `NotPlain` if one holds what
    orjson writes escaped (`"`, `\\`, a control character)."""
    offsets = np.frombuffer(cells.buffers()[1], np.int32, len(cells) + 1, cells.offset * 4)
    values = cells.buffers()[2]
    if values is not None:
        used = np.frombuffer(values, np.uint8)[offsets[0] : offsets[-1]]
        if np.any((used < 32) | (used == _QUOTE) | (used == _BACKSLASH)):
            raise NotPlain("a cell JSON writes with an escape")
    return pc.binary_join_element_wise('"', cells, '"', "")


_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def _coalesced(
    parts: dict[int, pa.Array], n: int, spec: dict[str, tuple[Where, ...]]
) -> dict[str, pa.Array]:
    """Per column of `spec`, the first of its candidates' values (`parts`: by position in
    `spec`'s order, absent where no record has it) that is not null."""
    out, at = {}, 0
    for name, candidates in spec.items():
        found = [parts[i] for i in range(at, at + len(candidates)) if i in parts]
        at += len(candidates)
        if not found:
            out[name] = pa.nulls(n, pa.string())
        else:
            out[name] = pc.coalesce(*found) if len(found) > 1 else found[0]
    return out


def _texts(flat: list) -> pa.Array:
    return texts(flat, keep_empty_from=len(flat))  # "" passed over, as null is


def _choices(flat: list) -> pa.Array:
    return Bags(flat, _BLANK).column


def _events(
    holders: dict[str, list], shape: Shape, found: tuple[list, list], given: _Given
) -> pa.RecordBatch:
    """The events batch; `found`: each event's skip reason and reportable identifier."""
    n = len(holders["props"])
    parts = _present(shape.gather_texts(holders), n, _texts) | given.texts()
    columns: dict[str, Any] = _coalesced(parts, n, shape.texts)
    if columns["event_id"].null_count or columns["activity_time"].null_count:
        raise NotPlain("a record without an id or a time")
    columns["activity_time"] = utc_times(columns["activity_time"])
    chosen = _present(shape.gather_choices(holders), n, _choices) | given.tokens("choices")
    choices = _coalesced(chosen, n, shape.choices)
    for column, (table, _candidates) in shape.enums.items():
        columns[column] = members(choices[column], table)
    extra = _present(shape.gather_extra(holders), n, _extra_values) | given.tokens("extra")
    extra = dict(sorted(extra.items()))  # in the view's order
    columns.update(
        duration_ms=_whole_numbers(choices["duration_ms"]),
        skip_reason=found[0],
        reportable_identifier=found[1],
        dialect=pa.repeat(shape.dialect, n),
        extra=_extra(extra, n, shape.extra_keys),
    )
    return table_batch("events", columns)


def _extra_values(flat: list) -> pa.Array:
    return Bags(_canonical(flat), _EMPTY).column  # null: left out of `extra`


def _extra(parts: dict[int, pa.Array], n: int, keys: list[str]) -> pa.Array:
    """The `extra` object of each event from its values (`parts`: by position in `keys`),
    joined only over the keys some event has."""
    kept = [i for i, part in parts.items() if part.null_count < n]
    if not kept:
        return pa.nulls(n, pa.string())
    joined = pa.concat_arrays([parts[i] for i in kept])
    return joined_objects(joined, [keys[i] for i in kept])


def utc_times(column: pa.Array) -> pa.Array:
    """ISO times in UTC (`Z`) to `timestamp[us, UTC]`, truncated to microseconds as the
    general path's `datetime.fromisoformat` reads them; raises `NotPlain` on any other."""
    if not pc.all(pc.match_substring_regex(column, _ISO_UTC), min_count=0).as_py():
        raise NotPlain("a time in another spelling")
    times, bad = to_timestamps(column)
    if bad:
        raise NotPlain("not a time")
    return times


def members(tokens: pa.Array, table: dict) -> pa.Array:
    """Each distinct enumeration token (text or integer) as its v1.0 member, once."""
    return mapped(tokens, partial(_token_member, table))


def _token_member(table: dict, token: str | None) -> str:
    if not token:  # a field without a value (e.g. dropped from a legacy record)
        raise NotPlain("an enumeration field without a value")
    return known_member(table, orjson.loads(token), token)


def known_member(table: dict, value: Any, shown: str) -> str:
    """`value`'s v1.0 member in `table`; raises `NotPlain` (naming it as `shown`) when it
    has none: the general path keeps such a value in `extra` and says so."""
    member = enum_member(table, value)
    if member is None:
        raise NotPlain(f"not a known enumeration member: {shown}")
    return member


def _whole_numbers(tokens: pa.Array) -> pa.Array:
    """Integer tokens, or their digits as text, as `int64`; raises `NotPlain` on others."""
    if not pc.all(pc.match_substring_regex(tokens, _WHOLE), min_count=0).as_py():
        raise NotPlain("not a whole number")
    try:
        return pc.cast(pc.replace_substring(tokens, '"', ""), pa.int64())
    except pa.ArrowInvalid:
        raise NotPlain("not a whole number in 64 bits") from None


def _canonical(raws: list[msgspec.Raw]) -> list:
    """Raw JSON texts as orjson writes them (as the general path writes what it parsed):
    as they are when they already are, else each written again.

    Raises `NotPlain` if one cannot be (too deep, a number beyond 64 bits)."""
    joined = b"[" + b",".join(raws) + b"]"
    if _as_orjson_writes(joined, raws):
        return raws
    try:
        values = orjson.loads(joined)
        if orjson.dumps(values) == joined:
            return raws
        return [orjson.dumps(value) for value in values]
    except (orjson.JSONDecodeError, TypeError):
        raise NotPlain("a bag the general path must write") from None


# orjson writes a control character as one of these escapes, `"` and `\` escaped, and
# every other character as itself (`/` and non-ASCII included)
_ORJSON_ESCAPES = frozenset(
    [b'\\"', b"\\\\", b"\\b", b"\\t", b"\\n", b"\\f", b"\\r"]
    + [b"\\u%04x" % c for c in range(32) if c not in (8, 9, 10, 12, 13)]
)
_ESCAPE = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)
_NUMBER = re.compile(rb"-?[0-9][0-9.eE+-]*")
_INTEGER = re.compile(rb"-?(?:0|[1-9][0-9]{0,17})")  # below 10**18: an int64 either way
_DEEPEST = 253  # levels within the joined list that orjson still writes (it stops at 255)


def _as_orjson_writes(joined: bytes, raws: list[msgspec.Raw]) -> bool:
    """Whether orjson would write the values of `joined` (valid JSON: msgspec found each
    text's bounds) exactly as they are, told from the bytes without building the values:
    compact, every escape one orjson writes, every number a plain integer, and no text deep
    enough to reach orjson's nesting limit. False when unsure (a string holding `:1.5` or
    `, `, say: the caller then writes them again, which is what it did for every text).

    One difference is not told: of an object's repeated keys orjson keeps the last, while
    the text is kept as written."""
    if _may_be_too_deep(raws):
        return False
    if b"\\" in joined:  # `\\` and `\"` (most escapes) cut out first, then the rest checked
        rest = joined.replace(b"\\\\", b"").replace(b'\\"', b"")
        if b"\\" in rest and not set(_ESCAPE.findall(rest)) <= _ORJSON_ESCAPES:
            return False
    text = np.frombuffer(joined, np.uint8)
    before, after = text[:-1], text[1:]  # `joined` starts with `[` and ends with `]`
    value = (before == _COLON) | (before == _COMMA) | (before == _OPEN)  # a value follows
    numbers = np.flatnonzero(value & (((after - _ZERO) < 10) | (after == _MINUS))) + 1
    for at in numbers.tolist():  # every number, and what looks like one in a string
        number = _NUMBER.match(joined, at)  # None: a `-` in a string (`"a:-b"`)
        if number and (number.group() == b"-0" or not _INTEGER.fullmatch(number.group())):
            return False
    # space outside strings is next to one of `{}[],:`: where some may be, msgspec tells
    spaces = np.flatnonzero((after == _SPACE) | ((after - _TAB) < 2) | (after == _RETURN)) + 1
    beside = np.concatenate([text[spaces - 1], text[spaces + 1]])
    if np.isin(beside, _STRUCTURAL).any():
        return msgspec.json.format(joined, indent=-1) == joined
    return True


def _may_be_too_deep(raws: list[msgspec.Raw]) -> bool:
    """Whether a text may nest deeper than orjson writes: a text nests no deeper than half
    its length, nor than the brackets it holds."""
    if not raws or max(map(len, raws)) <= 2 * _DEEPEST:
        return False
    long = (bytes(raw) for raw in raws if len(raw) > 2 * _DEEPEST)
    return any(text.count(b"{") + text.count(b"[") > _DEEPEST for text in long)


_COLON, _COMMA, _OPEN, _ZERO, _MINUS, _SPACE, _TAB, _RETURN = b":,[0- \t\r"
_STRUCTURAL = np.frombuffer(b"{}[],:", np.uint8)


def _details(raws: list[msgspec.Raw]) -> Bags:
    details = Bags(_canonical(raws), _NOTHING)
    if not details.all_objects():
        raise NotPlain("a details bag that is not an object")
    return details


def _steps(events: pa.RecordBatch, steps: Any, details: pa.Array) -> pa.RecordBatch:
    items, s = steps.items, len(steps.items)
    text = texts([x.name for x in items] + [x.description for x in items], keep_empty_from=2 * s)
    step_type = Bags([x.provisioning_step_type for x in items], _BLANK).column
    columns = {
        "event_id": events["event_id"].take(steps.parents),
        "step_index": steps.positions,
        "name": text.slice(0, s),
        "step_type": members(step_type, A.STEP_TYPES),
        "status": members(Bags([x.status for x in items], _BLANK).column, A.RESULTS),
        "description": text.slice(s, s),
        "timestamp": pa.nulls(s, TIME),
        "details": details,
    }
    return table_batch("steps", columns)


def _properties(events: pa.RecordBatch, properties: Any) -> pa.RecordBatch:
    items, p = properties.items, len(properties.items)
    flat = [x.display_name for x in items] + [x.old_value for x in items]
    text = texts(flat + [x.new_value for x in items], keep_empty_from=p)  # values: "" kept
    columns = {
        "event_id": events["event_id"].take(properties.parents),
        "property_index": properties.positions,
        "name": text.slice(0, p),
        "old_value": text.slice(p, p),
        "new_value": text.slice(2 * p, p),
    }
    return table_batch("modified_properties", columns)
