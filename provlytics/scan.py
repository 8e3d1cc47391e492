"""Reading the tables of a dataset with the scope pushed down to the Parquet scan.

`scan_tables` takes one `pyarrow.dataset.Dataset` per table (a store's Delta tables at one
version, `DeltaTable.to_pyarrow_dataset()`; a plain snapshot's Hive folders; or tables in
memory) and reads:

- **events** with `since`/`until` on `activity_time` (the `activity_date` partitions outside
  the window are never opened; row groups are skipped by their statistics) and `filters`
  (pyarrow.parquet's `(column, op, value)` tuples, or a list of such lists meaning OR);
- **steps, modified_properties, errors**: the rows of the kept events, whatever their own
  times, reading only the partitions those events are in (children take their event's date
  in both layouts);
- **job_status** whole;

each with only the `columns` asked for (key and time columns are always kept). The tables
are read in parallel threads (the Parquet decoding releases the GIL).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from provlytics.errors import ConfigError
from provlytics.schema import KEYS, SCHEMAS, TABLE_NAMES, TIME_COLUMNS
from provlytics.timebounds import TimeBound, is_relative, window, window_times

logger = logging.getLogger(__name__)

PARTITION = "activity_date"
CHILDREN = ("steps", "modified_properties", "errors")
Columns = Mapping[str, Sequence[str]] | Sequence[str] | None
Filters = Sequence[Any] | None
# the decoded tables are allocated with the C library's allocator: it returns the decoding
# buffers to the system once freed, where mimalloc (pyarrow's default) kept ~0.8 GB more at
# peak reading 1M events with 4M steps (bench/read.py)
_POOL = pa.system_memory_pool()
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError)


def scan_tables(
    sources: Mapping[str, ds.Dataset],
    *,
    since: TimeBound = None,
    until: TimeBound = None,
    columns: Columns = None,
    filters: Filters = None,
) -> dict[str, pa.Table]:
    """The five tables, scoped, in `SCHEMAS` types (only the columns asked for, in schema
    order; unsorted).

    Args:
        sources: table name -> dataset (a missing table reads as empty); a dataset may carry
            the `activity_date` partition column, which is dropped.
        since: keep events with `activity_time >= since` (the forms of
            `pv.analysis.filter_frames`: a date or time, ISO text, or "7d" before the newest
            event).
        until: keep events with `activity_time < until`, same forms.
        columns: table -> columns to read, or a list of events columns.
        filters: on events columns, as `pyarrow.parquet.read_table(filters=...)` takes them.

    Raises:
        ConfigError: an unknown table or column, a filter pyarrow cannot apply, a bad time
            bound; each naming the argument and the value.
    """
    wanted = wanted_columns(columns)
    sources = {name: by_date(source) for name, source in sources.items()}
    expression = _events_expression(sources.get("events"), since, until, filters)
    read = {name: _reader(name, sources.get(name), wanted[name]) for name in TABLE_NAMES}
    if expression is None:
        out = _parallel({name: (lambda r=r: r(None)) for name, r in read.items()})
        return {name: _plain(name, table) for name, table in out.items()}
    try:
        events = read["events"](expression, partition=True)
    except _ARROW_ERRORS as exc:
        raise ConfigError(f"filters={filters!r} cannot be applied to events ({exc})") from None
    children = _children_expression(events)
    jobs = {name: (lambda n=name: read[n](children)) for name in CHILDREN}
    out = _parallel({**jobs, "job_status": lambda: read["job_status"](None)})
    logger.debug("scan keeps %d events", events.num_rows)
    return {name: _plain(name, events if name == "events" else out[name]) for name in TABLE_NAMES}


def wanted_columns(columns: Columns) -> dict[str, list[str]]:
    """The columns to read of each table, in schema order, key and time columns included.

    Raises:
        ConfigError: not a dict or list, an unknown table or an unknown column.
    """
    if columns is None:
        asked: Mapping[str, Sequence[str]] = {}
    elif isinstance(columns, Mapping):
        asked = columns
    elif isinstance(columns, Sequence) and not isinstance(columns, str | bytes):
        asked = {"events": columns}
    else:
        raise ConfigError(
            f"columns={columns!r}: give a list of events columns or a dict table -> columns"
        )
    unknown = [name for name in asked if name not in TABLE_NAMES]
    if unknown:
        raise ConfigError(f"columns: no table {unknown[0]!r} (tables: {', '.join(TABLE_NAMES)})")
    out = {}
    for name in TABLE_NAMES:
        names = SCHEMAS[name].names
        if name not in asked:
            out[name] = names
            continue
        chosen = asked[name]
        if isinstance(chosen, str | bytes) or not isinstance(chosen, Sequence):
            raise ConfigError(f"columns[{name!r}]={chosen!r}: give a list of column names")
        missing = [c for c in chosen if c not in names]
        if missing:
            raise ConfigError(f"columns[{name!r}]: {name} has no column {missing[0]!r}")
        always = {*KEYS[name], TIME_COLUMNS.get(name, KEYS[name][0])}
        out[name] = [c for c in names if c in always or c in chosen]
    return out


def _events_expression(
    events: ds.Dataset | None, since: TimeBound, until: TimeBound, filters: Filters
) -> ds.Expression | None:
    """The events scan's filter (None: read everything)."""
    parts = []
    if filters is not None:
        parts.append(_filter_expression(filters))
    if since is not None or until is not None:
        newest = _newest(events) if is_relative(since) or is_relative(until) else None
        partitioned = events is not None and PARTITION in events.schema.names
        time = ds.field("activity_time")
        for what, stamp in zip(("since", "until"), window(since, until, newest), strict=True):
            if stamp is None:
                continue
            day = stamp.as_py().date().isoformat()
            if what == "since":
                parts.append(time >= stamp)
                if partitioned:  # "unknown" (no time) sorts after every date: rows filtered
                    parts.append(ds.field(PARTITION) >= day)
            else:
                parts.append(time < stamp)
                if partitioned:
                    parts.append(ds.field(PARTITION) <= day)
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out = out & part
    return out


def _filter_expression(filters: Sequence[Any]) -> ds.Expression:
    """`filters` as an Arrow expression, checking column names against `events`.

    Raises:
        ConfigError: not a list of (column, op, value) tuples (or of lists of them), an
            unknown column, or an operator pyarrow does not know.
    """
    if isinstance(filters, str | bytes) or not isinstance(filters, Sequence) or not filters:
        raise ConfigError(f"filters={filters!r}: give a list of (column, op, value) tuples")
    groups = filters if all(isinstance(f, list) for f in filters) else [filters]
    names = SCHEMAS["events"].names
    for group in groups:
        for item in group:
            if not isinstance(item, tuple | list) or len(item) != 3:
                raise ConfigError(f"filters: {item!r} is not a (column, op, value) tuple")
            if item[0] not in names:
                raise ConfigError(f"filters: events has no column {item[0]!r}")
    try:
        return pq.filters_to_expression([list(map(tuple, g)) for g in groups])
    except (ValueError, TypeError, *_ARROW_ERRORS) as exc:
        raise ConfigError(f"filters={filters!r}: {exc}") from None


def scan_window(
    events: ds.Dataset | None, since: TimeBound, until: TimeBound
) -> tuple[datetime | None, datetime | None]:
    """The UTC times `since` and `until` stand for on a scan of `events` (None: not given):
    a duration counts back from the newest event there (`timebounds.window_times`), so
    that a reader can record the times it scanned (`frames.narrowed`) and pass them on to
    `scan_tables`, which then reads the newest event no second time.

    Raises:
        ConfigError: as `timebounds.window_times`.
    """
    if since is None and until is None:
        return None, None
    newest = _newest(events) if is_relative(since) or is_relative(until) else None
    return window_times(since, until, newest)


def _newest(events: ds.Dataset | None) -> Any:
    """The newest event's time (None when there are no events), for "7d" bounds."""
    if events is None:
        return None
    times = events.to_table(columns=["activity_time"])["activity_time"]
    return pc.max(times).as_py() if len(times) else None


def _children_expression(events: pa.Table) -> ds.Expression:
    """Rows of the kept events, in the partitions those events are in."""
    ids = events["event_id"].combine_chunks()
    expression = ds.field("event_id").isin(ids)
    if PARTITION in events.column_names:
        days = pc.unique(events[PARTITION].combine_chunks())
        expression = ds.field(PARTITION).isin(days) & expression
    return expression


def _reader(name: str, source: ds.Dataset | None, columns: list[str]) -> Any:
    """A function reading `columns` (and the partition column if asked) of `source` under
    a filter."""

    def read(expression: ds.Expression | None, *, partition: bool = False) -> pa.Table:
        if source is None:
            return pa.schema([SCHEMAS[name].field(c) for c in columns]).empty_table()
        extra = (PARTITION,) if partition else ()
        names = [c for c in (*columns, *extra) if c in source.schema.names]
        return source.to_table(columns=names, filter=expression, memory_pool=_POOL)

    return read


def read_table(
    source: ds.Dataset | None,
    name: str,
    columns: Sequence[str],
    where: ds.Expression | None = None,
) -> pa.Table:
    """The rows of one table that satisfy `where`, only its `columns` (schema order; those
    `source` lacks are left out), in `SCHEMAS` types and in the files' date order (unsorted).

    Args:
        source: the table's dataset (`by_date` order), or None for a table never written
            (an empty table of `columns`).
        name: the table, for its schema.
        columns: the columns to read.
        where: a filter over the table's columns, applied batch by batch during the scan
            (rows outside it are never gathered; partitions and row groups are skipped by
            their statistics where the filter allows).
    """
    names = [c for c in SCHEMAS[name].names if c in columns]
    if source is None:
        return pa.schema([SCHEMAS[name].field(c) for c in names]).empty_table()
    present = [c for c in names if c in source.schema.names]
    return _plain(name, source.to_table(columns=present, filter=where, memory_pool=_POOL))


def by_date(source: ds.Dataset) -> ds.Dataset:
    """A dataset of files with its files in partition (date) order, so that tables written
    in their canonical order per partition are read in that order (delta-rs lists a
    table's files in the order of its log); other datasets as they are."""
    if not isinstance(source, ds.FileSystemDataset):
        return source
    fragments = sorted(source.get_fragments(), key=_date_of)
    return ds.FileSystemDataset(fragments, source.schema, source.format, source.filesystem)


def _date_of(fragment: ds.Fragment) -> str:
    keys = ds.get_partition_keys(fragment.partition_expression)
    return f"{keys.get(PARTITION, '')}\0{getattr(fragment, 'path', '')}"


def _parallel(jobs: Mapping[str, Any]) -> dict[str, pa.Table]:
    """Run the reads in threads (one per table); results by name."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _plain(name: str, table: pa.Table) -> pa.Table:
    """The table's columns in schema order and types, without the partition column."""
    schema = SCHEMAS[name]
    names = [c for c in schema.names if c in table.column_names]
    return table.select(names).cast(pa.schema([schema.field(c) for c in names]))
