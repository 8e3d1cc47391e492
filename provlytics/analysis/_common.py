"""Helpers shared by the analysis modules: safe table access (from frames, or read from a
store or snapshot path: `on_path`), typed empty frames, the identity of an event, status and
code selection, time bins and the one-line change summary.

Every helper reads the canonical tables (schema version 2, `provlytics.schema`) only.
"""

from __future__ import annotations

import difflib
import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.path_tables import PathTables
from provlytics.datasets import refuse_no_dataset
from provlytics.errors import ConfigError, InputError
from provlytics.frames_arg import TAKES
from provlytics.schema import SCHEMAS, TIME_COLUMNS
from provlytics.timebounds import span

logger = logging.getLogger(__name__)

STATUSES = ("success", "failure", "skipped", "warning")
PROBLEMS = ("failure", "warning")
STATUS_CHOICES = ("failure", "warning", "both")
# canonical order of step types (the order a provisioning event runs them in)
STEP_ORDER = ("import", "scoping", "matching", "processing", "referenceResolution", "export")
IDENTITY_COLUMNS = ("source_id", "reportable_identifier", "target_id")
# modules whose frames a warning's stacklevel passes over (`caller_level`)
_NOT_THE_USER = ("provlytics.", "traitlets.", "ipywidgets.")

TIME = pd.DatetimeTZDtype("us", "UTC")
STR = pd.StringDtype("pyarrow")
INT = np.dtype("int64")
FLOAT = np.dtype("float64")
BOOL = np.dtype("bool")
# dtypes of every output column a helper may name, by column name (else: string)
DTYPES: dict[str, Any] = {
    "activity_time": TIME,
    "first_seen": TIME,
    "last_seen": TIME,
    "time": TIME,
    "duration_ms": pd.Int64Dtype(),
    "share": FLOAT,
    "success_rate": FLOAT,
    "noise": BOOL,
    **{
        c: INT
        for c in ("events", "identities", "objects", "success", "failure", "skipped", "warning")
    },
}


def table(
    frames: Any,
    name: str,
    columns: Iterable[str] = (),
    *,
    reads: Iterable[str] | None = None,
    where: ds.Expression | None = None,
    ordered: bool = True,
) -> pd.DataFrame:
    """One table of `frames` as a DataFrame, empty (schema columns) when it is missing.

    Args:
        frames: a `ProvisioningFrames`, anything with the table as a DataFrame attribute,
            or a `PathTables` (a store or snapshot folder, see `on_path`).
        name: events, steps, modified_properties, errors or job_status.
        columns: columns the caller needs (checked on frames).
        reads: a `PathTables` only: every column the caller uses (default: `columns`, or
            all when none are named); no other column is read.
        where: a `PathTables` only: a filter pushed into the scan. The caller applies the
            same condition (or a narrower one) itself, so that frames and paths agree.
        ordered: a `PathTables` only: False when the caller's result does not depend on the
            row order (then the rows are not put in canonical order, and only `reads` is read).

    Raises:
        InputError: the table is there but lacks some of `columns` (named in the message,
            with the hint that the dataset may be of an older schema version).
    """
    if isinstance(frames, PathTables):
        chosen = list(columns) if reads is None else list(reads)
        return frames.frame(name, chosen, where, ordered=ordered)
    df = getattr(frames, name, None)
    if df is None:
        return empty(SCHEMAS[name].names)
    if not isinstance(df, pd.DataFrame):
        raise InputError(None, f"frames.{name} is a {type(df).__name__}, not a DataFrame")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            None,
            f"table {name!r} has no column(s) {missing}; is it in the schema-version-2 layout "
            "(read datasets with pv.read_parquet, which upgrades older ones)?",
        )
    return df


def columns_of(frames: Any, name: str) -> list[str]:
    """The columns table `name` of `frames` has (without reading a `PathTables`' rows)."""
    if isinstance(frames, PathTables):
        return frames.columns(name)
    return list(table(frames, name).columns)


def time_span(frames: Any, name: str) -> tuple[Any, Any]:
    """The earliest and latest time of table `name` (its `TIME_COLUMNS` column; None, None
    when it has none); a `PathTables` scans the column batch by batch, never holding it."""
    column = TIME_COLUMNS[name]
    if isinstance(frames, PathTables):
        low, high = frames.span(name, column)
        return (None, None) if low is None else (pd.Timestamp(low), pd.Timestamp(high))
    times = table(frames, name, (column,))[column].dropna()
    return (times.min(), times.max()) if len(times) else (None, None)


Helper = TypeVar("Helper", bound=Callable[..., Any])


def on_path(helper: Helper) -> Helper:
    """Let `helper(frames, ...)` take the path of a store or snapshot folder (str or
    `os.PathLike`) as `frames`: it then reads through a `PathTables`, table by table, only
    the columns and rows it asks `table` for. Same result as `helper(pv.read_parquet(path))`.
    """

    @functools.wraps(helper)
    def run(frames: Any, *args: Any, **kwargs: Any) -> Any:
        return helper(resolve(frames), *args, **kwargs)

    return run  # type: ignore[return-value]


def resolve(frames: Any, *, paths: bool = True) -> Any:
    """`frames` as a helper reads it: a `PathTables` for a path (str or `os.PathLike`) when
    `paths`, else the path or the frames unchanged.

    Frames are a `ProvisioningFrames`, a `PathTables`, or any object with at least one of
    the five tables as a DataFrame attribute (`events`, `errors`, ...).

    Raises:
        ConfigError: anything else (a DataFrame such as `frames.errors`, a dict, None),
            naming the type it got and what it takes.
        InputError: a path that is no folder, or a folder of log files, not a dataset (as
            `pv.read_parquet` says it: "... holds N log files: read them with pv.load").
    """
    if isinstance(frames, str | os.PathLike):
        refuse_no_dataset(Path(frames))  # a folder of log files: "read them with pv.load"
        return PathTables(frames) if paths else frames
    if isinstance(frames, PathTables) or _has_tables(frames):
        return frames
    kind = type(frames).__name__
    got = "None" if frames is None else f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"
    hint = ""
    if isinstance(frames, pd.DataFrame):
        hint = " (pass the whole frames, not one of its tables)"
    raise ConfigError(f"frames: got {got}{hint}; takes {TAKES}")


def _has_tables(frames: Any) -> bool:
    """Whether `frames` (not a DataFrame or mapping) has a table as a DataFrame attribute."""
    if isinstance(frames, pd.DataFrame | pd.Series | Mapping) or frames is None:
        return False
    return any(isinstance(getattr(frames, name, None), pd.DataFrame) for name in SCHEMAS)


def statuses(status: str) -> tuple[str, ...]:
    """The `status` values `by_status` keeps for `status` (checked)."""
    value = check_status(status)
    return PROBLEMS if value == "both" else (value,)


def empty(columns: Iterable[str], dtypes: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """An empty DataFrame with exactly `columns`, typed by `dtypes`, then `DTYPES`, else
    nullable string."""
    dtypes = dtypes or {}
    return pd.DataFrame(
        {c: pd.Series([], dtype=dtypes.get(c, DTYPES.get(c, STR))) for c in columns}
    )


def typed(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`df` reduced to `columns` (in that order), counts as int64 and shares as float64,
    with a fresh 0..n-1 index."""
    columns = list(columns)
    out = df.reindex(columns=columns).reset_index(drop=True)
    for c in columns:
        want = DTYPES.get(c)
        if want is not None and want in (INT, FLOAT, BOOL) and out[c].dtype != want:
            out[c] = out[c].astype(want)
    return out


def identity(df: pd.DataFrame) -> pd.Series:
    """The identity of each row: `source_id`, else `reportable_identifier`, else
    `target_id` (null when all three are)."""
    out = df["source_id"]
    for column in IDENTITY_COLUMNS[1:]:
        out = out.fillna(df[column])
    return out


def check_status(status: str) -> str:
    """`status` lower-cased, or ConfigError when it is not failure, warning or both."""
    value = str(status).lower()
    if value not in STATUS_CHOICES:
        raise ConfigError(f"status must be one of {STATUS_CHOICES}, got {status!r}")
    return value


def by_status(errors: pd.DataFrame, status: str) -> pd.DataFrame:
    """The rows of `errors` whose `status` is `status` ("both": failure and warning)."""
    wanted = statuses(status)
    return errors[errors["status"].isin(wanted).fillna(False).to_numpy(bool)]


def check_columns(df: pd.DataFrame | Iterable[str], columns: Iterable[str], what: str) -> list[str]:
    """`columns` as a list, or ConfigError naming those `df` (a frame, or its column
    names) lacks and what it offers."""
    columns = list(columns)
    names = list(df.columns) if isinstance(df, pd.DataFrame) else list(df)
    missing = [c for c in columns if c not in names]
    if missing:
        raise ConfigError(f"{what}: no column(s) {missing}; choose from {names}")
    return columns


def code_family(codes: pd.Series, code: str) -> np.ndarray:
    """Which `codes` belong to the family of `code`, case-insensitively: the code itself,
    or the code with an app prefix (`EntryConflict` -> `BoxEntryConflict`), i.e. a code
    that ends with `code` where the rest starts a new capitalised word."""
    want = code.lower()
    values = codes.astype(object).to_numpy()
    out = np.zeros(len(values), bool)
    for i, value in enumerate(values):
        if isinstance(value, str):
            low = value.lower()
            out[i] = low == want or (low.endswith(want) and value[len(value) - len(want)].isupper())
    return out


def closest_codes(present: Iterable[str], code: str, n: int = 3) -> list[str]:
    """Up to `n` values of `present` that look most like `code` (case-insensitive; difflib's
    ratio of at least 0.4)."""
    by_lower = {c.lower(): c for c in present if isinstance(c, str)}
    close = difflib.get_close_matches(code.lower(), list(by_lower), n=n, cutoff=0.4)
    return [by_lower[c] for c in close]


def change_summary(properties: pd.DataFrame) -> pd.Series:
    """One line per event of its modified properties, indexed by `event_id`:
    `"displayName: 'a' -> 'b'; mail: null -> 'x'"` in property order (null: not logged,
    `''`: cleared)."""
    if properties.empty:
        return pd.Series([], dtype=STR, index=pd.Index([], name="event_id"))
    order = np.argsort(properties["property_index"].to_numpy(), kind="stable")
    columns = ("event_id", "name", "old_value", "new_value")
    ids, names, olds, news = (
        properties[c].to_numpy(dtype=object, na_value=None)[order] for c in columns
    )
    parts: dict[Any, list[str]] = {}
    for event_id, name, old, new in zip(ids, names, olds, news, strict=True):
        text = f"{'?' if name is None else name}: {_quoted(old)} -> {_quoted(new)}"
        parts.setdefault(event_id, []).append(text)
    index = pd.Index(list(parts), name="event_id")
    return pd.Series(["; ".join(p) for p in parts.values()], index=index, dtype=STR)


def _quoted(value: Any) -> str:
    return "null" if value is None else f"'{value}'"


def frequency(freq: str) -> pd.Timedelta:
    """A bin width as a positive `Timedelta`, from a fixed pandas frequency ("1h", "15min",
    "1d", "2w").

    Raises:
        ConfigError: `freq` is not a fixed frequency, or not a positive one ("0h", "-1h").
    """
    try:
        width = pd.Timedelta(pd.tseries.frequencies.to_offset(span(freq)))
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"freq={freq!r} is not a fixed pandas frequency such as '1h', '15min' or '1d' ({exc})"
        ) from None
    if width <= pd.Timedelta(0):
        raise ConfigError(
            f"freq={freq!r} is not a positive bin width; use e.g. '1h', '15min' or '1d'"
        )
    return width


def bins(times: pd.Series, freq: str) -> pd.Series:
    """The start (UTC) of the `freq` bin each time falls in.

    Raises:
        ConfigError: `freq` is not a positive fixed pandas frequency (`frequency`).
    """
    return times.dt.floor(frequency(freq))


def bin_range(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """Every bin start from the bin of `first` to the bin of `last`.

    Raises:
        ConfigError: a bad `freq` (`frequency`), or more than 100,000 bins (choose a coarser
            `freq`).
    """
    width = frequency(freq)
    start, end = pd.Timestamp(first).floor(width), pd.Timestamp(last).floor(width)
    count = int((end - start) / width) + 1
    if count > 100_000:
        raise ConfigError(f"freq {freq!r} gives {count} bins; choose a coarser one")
    return pd.date_range(start, end, freq=width, name="time")


def largest_first(df: pd.DataFrame, keys: Iterable[str], count: str = "events") -> pd.DataFrame:
    """Rows by `count` descending, then `keys` ascending (nulls last), index reset."""
    keys = [k for k in keys if k != count]
    return df.sort_values(
        [count, *keys], ascending=[False] + [True] * len(keys), na_position="last", kind="stable"
    ).reset_index(drop=True)


def warn_absent(what: str, value: str, present: Iterable[str]) -> None:
    """Warn (a `UserWarning`, shown in scripts and notebooks alike, where the library's log is
    silent until configured) that `value`, a `what` ("error code", "job_id", ...), is not
    present in the data: "job_id 'nosuchjob' is not present in this data; closest present:
    ..." naming the closest of `present` (when any is close); the warning points at
    the caller's line, outside provlytics."""
    close = closest_codes(present, value)
    hint = f"; closest present: {', '.join(close)}" if close else ""
    message = f"{what} {value!r} is not present in this data{hint}"
    warnings.warn(message, UserWarning, stacklevel=caller_level())


def caller_level() -> int:
    """`stacklevel` of the user's line: the first frame outside provlytics and outside the
    libraries that call a widget back when a control changes (traitlets, ipywidgets: the line
    is then `widget.controls["query"].value = ...`), as seen from `warnings.warn`'s caller's
    caller (helpers reach here through decorators of varying depth)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_NOT_THE_USER):
        level, frame = level + 1, frame.f_back
    return level


def isin(values: pd.Series, wanted: Iterable[Any]) -> np.ndarray:
    """A boolean mask: which `values` are in `wanted` (nulls: False). One Arrow hash lookup
    over a flat array (faster than `Series.isin` on many-chunked Arrow columns, which also
    converts every wanted value in Python); `wanted` may be a Series of any length."""
    array = pa.array(values.array) if values.dtype == STR else pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if isinstance(wanted, pd.Series):
        wanted_array = pa.array(wanted.array, from_pandas=True)
        if isinstance(wanted_array, pa.ChunkedArray):
            wanted_array = wanted_array.combine_chunks()
        if len(array) and wanted_array.type != array.type:
            wanted_array = wanted_array.cast(array.type)
    else:
        wanted_array = pa.array(list(wanted), type=array.type if len(array) else None)
    found = pc.is_in(array, value_set=wanted_array, skip_nulls=True)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def flat(values: pd.Series) -> pa.Array:
    """A column as one Arrow array (no copy of an Arrow-backed column's single chunk)."""
    array = pa.array(values.array) if hasattr(values.array, "__arrow_array__") else None
    if array is None:
        array = pa.array(values, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def group_codes(*keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Group number of each row by the combined `keys` (numbered in order of first appearance;
    nulls form groups of their own) and the first row of each group: the text is hashed once
    per key, then everything is integers."""
    group = np.zeros(len(keys[0]), np.int64)
    for key in keys:
        codes, uniques = pd.factorize(key, use_na_sentinel=False)
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes)  # renumbered: no overflow
    if not len(group):
        return group, group
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return group, order[starts]
