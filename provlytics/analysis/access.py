"""How a helper reads its frames: one table as a DataFrame (from frames, or read from a store
or snapshot path through a `PathTables`: `on_path`), its columns and its time span.

Every helper reads the canonical tables (schema version 2, `provlytics.schema`) only.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow.dataset as ds

from provlytics.analysis.columns import empty
from provlytics.analysis.path_tables import PathTables
from provlytics.datasets import refuse_no_dataset
from provlytics.errors import InputError
from provlytics.frames_arg import checked
from provlytics.schema import SCHEMAS, TIME_COLUMNS

logger = logging.getLogger(__name__)


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
            naming the type it got and what it takes (`frames_arg.checked`).
        InputError: a path that is no folder, or a folder of log files, not a dataset (as
            `pv.read_parquet` says it: "... holds N log files: read them with pv.load").
    """
    if isinstance(frames, PathTables):
        return frames
    if isinstance(checked(frames), str | os.PathLike):
        refuse_no_dataset(Path(frames))  # a folder of log files: "read them with pv.load"
        return PathTables(frames) if paths else frames
    return frames
