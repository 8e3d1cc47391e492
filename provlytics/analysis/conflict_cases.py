"""Conflict and duplicate-match cases, one row per identity and attribute in conflict.

The logs name the matching attribute and its value only in free text or in step details,
and each connector words them its own way; the extraction below is deliberately tolerant
and leaves a column null rather than guess.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.access import on_path, table
from provlytics.analysis.arrays import isin
from provlytics.analysis.columns import empty, largest_first, typed
from provlytics.analysis.selection import IDENTITY_COLUMNS, code_family, identity

logger = logging.getLogger(__name__)

CONFLICT_COLUMNS = (
    "kind",
    "error_code",
    "target_system_name",
    "job_id",
    "source_id",
    "reportable_identifier",
    "source_name",
    "matching_attribute",
    "matching_value",
    "events",
    "first_seen",
    "last_seen",
    "example_reason",
)
# errors columns `conflicts` reads
_ERROR_READS = ("event_id", "activity_time", "status", "error_code", "error_reason",
                "error_details", "failed_step_type", "failed_step_name",
                "failed_step_description", "job_id", "target_system_name", "source_name",
                *IDENTITY_COLUMNS)  # fmt: skip
_Q = "['\"\u2018\u2019\u201c\u201d]"  # a quote: straight or curly, single or double
_NAME = r"[A-Za-z_][\w.\-\[\]]*"  # an attribute name: employeeId, name.familyName, emails[...]
_ATTR_AND_VALUE = (
    # "matching attribute 'employeeId' with value '21001'", "matching attribute employeeId,
    # value: '21001'", "matching attribute name 'mail' and value 'a@b'"
    re.compile(
        rf"matching\s+attributes?\s*(?:name\s*)?[:=]?\s*{_Q}?(?P<attr>{_NAME}){_Q}?\s*,?\s*"
        rf"(?:(?:with|and|having|has)\s+)?(?:the\s+)?value\s*(?:of\s*)?[:=]?\s*"
        rf"{_Q}(?P<value>[^'\"\u2019\u201d]*){_Q}",
        re.IGNORECASE,
    ),
    # a filter clause: "employeeID EQUALS '21001'", "userName eq \"alice@contoso.com\""
    re.compile(rf"(?P<attr>{_NAME})\s+(?:EQUALS|eq|==?)\s+{_Q}(?P<value>[^'\"\u2019\u201d]*){_Q}"),
)
# "matched the matching attribute value 'x'": the value only
_VALUE = re.compile(
    rf"attribute\s+value\s*[:=]?\s*{_Q}(?P<value>[^'\"\u2019\u201d]*){_Q}", re.IGNORECASE
)
# "matching attribute 'employeeId'": the attribute only (quoted)
_ATTR = re.compile(
    rf"matching\s+attributes?\s*(?:name\s*)?[:=]?\s*{_Q}(?P<attr>{_NAME}){_Q}", re.IGNORECASE
)
# "attribute 'u_cost_center'" (not "attribute value 'V'"), for RE2: `_named_attributes`
_NAMED_ATTRIBUTE = rf"(?i)attribute\s+{_Q}(?P<attr>{_NAME}){_Q}"
# step-details keys, compared case-insensitively
_ATTR_KEYS = ("matchingattribute", "matchingattributename", "matchingattributes", "attributename")
_VALUE_KEYS = ("matchingattributevalue", "matchingvalue", "attributevalue")
_FAILED_ATTR_KEYS = ("propertyname",)  # only from the failed step of a matching failure


@on_path
def conflicts(frames: Any) -> pd.DataFrame:
    """Conflict and duplicate-match cases by identity, with the attribute and value at issue.

    An `errors` row (failure or warning) is a case when its code is of the EntryConflict
    family (`Conflict`, `EntryConflict`, app-prefixed `BoxEntryConflict` ...: kind
    "entryConflict"), is `DuplicateTargetEntries` ("duplicateTargetEntries") or
    `DuplicateSourceEntries` ("duplicateSourceEntries"), or else failed in the matching
    step ("matchingFailure").

    The matching attribute and value are read, first found wins, from: the error reason,
    the error details, the failed step's description, then the descriptions of the
    event's matching steps, with these patterns (case-insensitive, straight or curly
    quotes):

    - `matching attribute 'A' with value 'V'` (also `and value`, `, value: 'V'`,
      `attribute name 'A'`): attribute and value;
    - a filter clause `A EQUALS 'V'`, `A eq "V"`, `A = 'V'`: attribute and value;
    - `attribute value 'V'` (as in "matched the matching attribute value 'V'"): the
      value only, unless V names an attribute (a key of the event's step details, the
      name of a modified property anywhere in the frames, or a name an error text of the
      frames gives as an attribute's: "The attribute 'u_cost_center' does not exist in the
      ServiceNow schema"): then V is the attribute;
    - `matching attribute 'A'`: the attribute only.

    Then from the details of the failed step and of the matching steps: keys
    `MatchingAttribute`, `MatchingAttributeName`, `AttributeName` (and `PropertyName` of
    the failed step of a matching failure) for the attribute; `MatchingAttributeValue`,
    `MatchingValue`, `AttributeValue` for the value. When only the attribute is known, its
    value is taken from the details of the event's matching steps (Entra logs the target
    object's attributes there), then import steps, then the event's modified property of
    that name (new value). Whatever is not found stays null.

    `frames` may be a store or snapshot path: then the errors columns used, the steps and
    properties of the cases' events and the properties' names are read.

    Returns:
        One row per (kind, error_code, target_system_name, identity, matching_attribute,
        matching_value), identity being `source_id`, else `reportable_identifier`, else
        `target_id`. Columns: `kind, error_code, target_system_name, job_id, source_id,
        reportable_identifier, source_name` (job and names of the most recent event),
        `matching_attribute, matching_value, events` (int), `first_seen, last_seen`,
        `example_reason` (of the most recent event); most events first, then most recent.

    Example:
        >>> cases = pv.analysis.conflicts(frames)
        >>> cases[["kind", "reportable_identifier", "matching_attribute", "matching_value"]]
    """
    errors = table(frames, "errors", ("error_code", "failed_step_type"), reads=_ERROR_READS)
    rows = errors.assign(kind=_kinds(errors))
    rows = rows[rows["kind"].notna().to_numpy(bool)]
    if rows.empty:
        return empty(CONFLICT_COLUMNS)
    ids = set(rows["event_id"].dropna())
    steps = _children(frames, "steps", ("name", "step_type", "description", "details"), ids)
    props = _children(frames, "modified_properties", ("name", "new_value"), ids)
    names = table(frames, "modified_properties", ("name",), ordered=False)["name"]
    names = names.dropna().str.lower()
    known = set(names.unique()) | _named_attributes(errors)
    found = [
        _attribute_and_value(
            row, steps.get(row["event_id"], []), props.get(row["event_id"], []), known
        )
        for row in _records(rows)
    ]
    rows = rows.assign(
        matching_attribute=pd.array([a for a, _v in found], dtype="string[pyarrow]"),
        matching_value=pd.array([v for _a, v in found], dtype="string[pyarrow]"),
        _who=identity(rows),
    ).sort_values("activity_time", kind="stable")
    keys = ["kind", "error_code", "target_system_name", "_who", "matching_attribute",
            "matching_value"]  # fmt: skip
    out = rows.groupby(keys, dropna=False, sort=False).agg(
        job_id=("job_id", "last"),
        source_id=("source_id", "last"),
        reportable_identifier=("reportable_identifier", "last"),
        source_name=("source_name", "last"),
        events=("event_id", "size"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
        example_reason=("error_reason", "last"),
    )
    out = out.reset_index().sort_values("last_seen", ascending=False, kind="stable")
    out = largest_first(out, [])
    return typed(out, CONFLICT_COLUMNS)


def _kinds(errors: pd.DataFrame) -> pd.Series:
    """The conflict kind of each errors row, or null."""
    codes = errors["error_code"]
    kind = pd.Series(pd.NA, index=errors.index, dtype="string[pyarrow]")
    matching = (errors["failed_step_type"] == "matching").fillna(False).to_numpy(bool)
    kind[matching & (errors["status"] == "failure").fillna(False).to_numpy(bool)] = (
        "matchingFailure"
    )
    lower = codes.str.lower()
    kind[(lower == "duplicatesourceentries").fillna(False).to_numpy(bool)] = (
        "duplicateSourceEntries"
    )
    kind[(lower == "duplicatetargetentries").fillna(False).to_numpy(bool)] = (
        "duplicateTargetEntries"
    )
    conflict = code_family(codes, "EntryConflict") | code_family(codes, "Conflict")
    kind[conflict] = "entryConflict"
    return kind


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    columns = ["event_id", "kind", "error_reason", "error_details", "failed_step_description",
               "failed_step_name"]  # fmt: skip
    return rows[columns].astype(object).where(rows[columns].notna(), None).to_dict("records")


def _children(
    frames: Any, name: str, columns: tuple[str, ...], ids: set[str]
) -> dict[str, list[tuple]]:
    """The rows (tuples of `columns`) of a child table for the events `ids`, by event."""
    where = ds.field("event_id").isin(pa.array(sorted(ids), pa.string()))
    df = table(frames, name, ("event_id", *columns), where=where)
    mask = isin(df["event_id"], ids)
    values = [
        pd.array(df[c].array[mask]).to_numpy(dtype=object, na_value=None)
        for c in ("event_id", *columns)
    ]
    out: dict[str, list[tuple]] = {}
    for event_id, *rest in zip(*values, strict=True):
        out.setdefault(event_id, []).append(tuple(rest))
    return out


def _attribute_and_value(
    row: dict[str, Any], steps: list[tuple], props: list[tuple], known: set[str]
) -> tuple[str | None, str | None]:
    """(matching attribute, matching value) of one conflict row, each possibly None.

    `steps`: the event's (name, step_type, description, details) in order; `props`: its
    modified properties as (name, new_value); `known`: lower-cased names of all modified
    properties in the frames."""
    matching = [s for s in steps if s[1] == "matching"]
    failed = [s for s in steps if s[0] is not None and s[0] == row["failed_step_name"]]
    texts = [row["error_reason"], row["error_details"], row["failed_step_description"]]
    texts += [s[2] for s in matching]
    attr, value = _from_texts([t for t in texts if isinstance(t, str)])
    for bag in [*_bags(failed), *_bags(matching)]:
        attr = attr or _key(bag, _ATTR_KEYS)
        value = value or _key(bag, _VALUE_KEYS)
    if attr is None and row["kind"] == "matchingFailure":
        attr = next((a for bag in _bags(failed) if (a := _key(bag, _FAILED_ATTR_KEYS))), None)
    imports = [s for s in steps if s[1] == "import"]
    if attr is None and value is not None and _is_attribute(value, steps, known):
        attr, value = value, None  # "attribute value 'company'" named the attribute
    if attr is not None and value is None:
        value = _value_of(attr, [*_bags(matching), *_bags(imports)], props)
    return attr, value


def _named_attributes(errors: pd.DataFrame) -> set[str]:
    """Lower-cased names the error texts of `errors` give as an attribute's ("The attribute
    'u_cost_center' does not exist in the ServiceNow schema", "mandatory attribute 'mail'"):
    a quoted name right after the word attribute (not "attribute value 'V'")."""
    out: set[str] = set()
    for column in ("error_reason", "error_details"):
        texts = pa.array(errors[column].dropna().unique(), pa.string())
        found = pc.extract_regex(texts, pattern=_NAMED_ATTRIBUTE)
        names = pc.utf8_lower(pc.struct_field(pc.drop_null(found), [0]))
        out.update(names.to_pylist())
    return out


def _is_attribute(text: str, steps: list[tuple], known: set[str]) -> bool:
    """Whether `text` names an attribute: a key of the event's step details or the name of
    a modified property anywhere in the frames (`known`), case-insensitively."""
    want = text.lower()
    return want in known or any(want == k.lower() for bag in _bags(steps) for k in bag)


def _from_texts(texts: list[str]) -> tuple[str | None, str | None]:
    attr = value = None
    for text in texts:
        both, value_only, attr_only = _scan(text)
        if attr is None and value is None and both is not None:
            attr, value = both
        value = value or value_only
        attr = attr or attr_only
        if attr is not None and value is not None:
            break
    return attr, value


@functools.lru_cache(maxsize=65536)
def _scan(text: str) -> tuple[tuple[str, str] | None, str | None, str | None]:
    """What the patterns find in one text: (attribute, value) together, a value alone, an
    attribute alone. Cached: the same reasons repeat across events."""
    lower = text.lower()
    both = value = attr = None
    if "attribute" in lower or "eq" in lower or "=" in lower:  # cheap gate for the regexes
        for pattern in _ATTR_AND_VALUE:
            if both is None and (m := pattern.search(text)):
                both = (m["attr"], m["value"])
    if "attribute" in lower:
        value = m["value"] if (m := _VALUE.search(text)) else None
        attr = m["attr"] if (m := _ATTR.search(text)) else None
    return both, value, attr


def _bags(steps: list[tuple]) -> list[dict[str, Any]]:
    """The details of `steps` as dicts (JSON text that is not an object is skipped)."""
    return [bag for step in steps if (bag := _bag(step[3])) is not None]


@functools.lru_cache(maxsize=65536)
def _bag(text: str | None) -> dict[str, Any] | None:
    """One details text as a dict (None if it is not a JSON object); read-only, cached."""
    if not isinstance(text, str):
        return None
    try:
        bag = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return bag if isinstance(bag, dict) else None


def _key(bag: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key, value in bag.items():
        if key.lower() in keys and isinstance(value, str) and value:
            return value
    return None


def _value_of(attr: str, bags: list[dict[str, Any]], props: list[tuple]) -> str | None:
    """The value of `attr` in the given step details (matching steps first, then import
    steps), else the new value of the event's modified property of that name."""
    want = attr.lower()
    for bag in bags:
        for key, value in bag.items():
            if key.lower() == want and isinstance(value, str) and value:
                return value
    for name, new_value in props:
        if isinstance(name, str) and name.lower() == want and new_value is not None:
            return str(new_value)
    return None
