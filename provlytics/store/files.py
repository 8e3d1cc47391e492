"""The Parquet files of one load, written straight into the store's Delta table folders.

A load's rows are written as they arrive into `<table>/activity_date=<date>/part-*.parquet`
(zstd, no partition column: the Delta layout) and become part of the table only when a
Delta commit adds them (`add_action`); until then no reader sees them, and the next writer's
recovery removes them if the load dies. Rows wait in a per-partition buffer until a row group
is full (`ROW_GROUP_ROWS`) or all buffers together pass `BUFFER_BYTES`, so memory is bounded
by a batch, not by a day of input. Each file remembers which load page its rows came from
(`LoadFile.marks`), so the copies of an event that a later page replaces can be dropped at
commit by rewriting only the files that hold them (`rewrite`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from provlytics.store.common import _UNKNOWN_DATE

if TYPE_CHECKING:  # imported when used: worker processes write files, never commit
    from deltalake.transaction import AddAction

logger = logging.getLogger(__name__)

PARTITION = "activity_date"
ROW_GROUP_ROWS = 65_536
BUFFER_BYTES = 32 * 2**20  # all tables' buffered rows together (at 16 MB, smaller row groups:
# the store's side of a load took 14% longer, `python -m bench.store_parts --buffers 16 32`)
PENDING_BYTES = 16 * 2**20  # pages handed to the writing thread, not yet written
FILE_ROWS = 4_000_000  # a file is closed (and another begun) past this many rows
COMPRESSION = "zstd"
_STATS_TEXT = 256  # longer text minima/maxima are left out of the Delta stats
# Columns whose values differ in (nearly) every row of a row group, or repeat only for the
# few child rows of one event: a dictionary there is built only to be given up, and plain
# pages come out smaller too (bench/store.py, 100k Graph records: -12 % encoding time, -10 %
# bytes). Every other column keeps Arrow's dictionary encoding.
_NO_DICTIONARY = frozenset({"event_id", "change_id", "activity_time"})
# Free-text bags of values: no row-group statistics (no filter narrows them by range, and
# the Delta stats leave long text out anyway).
_NO_STATISTICS = frozenset({"details", "description", "extra", "old_value", "new_value"})


@dataclass
class LoadFile:
    """One Parquet file of the load: `path` relative to its table folder, its partition
    `date`, its `rows`, and `marks`: (load page, first row of that page's rows) in order."""

    path: str
    date: str
    rows: int = 0
    marks: list[tuple[int, int]] = field(default_factory=list)
    metadata: pq.FileMetaData | None = None
    writer: pq.ParquetWriter | None = None

    def pages_of_rows(self, first: int, count: int) -> np.ndarray:
        """The load page of each of `count` rows from row `first` (int64)."""
        starts = np.array([start for _page, start in self.marks], np.int64)
        pages = np.array([page for page, _start in self.marks], np.int64)
        rows = np.arange(first, first + count, dtype=np.int64)
        return pages[np.searchsorted(starts, rows, side="right") - 1]


class Background:
    """One thread that sorts pages into partitions and encodes and writes row groups (Arrow
    and Parquet release the GIL) while the caller normalizes the next pages; at most
    `PENDING_BYTES` of pages wait for it.

    Tasks run in the order given. A task's error (`OSError`: a full disk) is raised by the
    call that next waits for it (`submit` or `drain`).
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="provlytics-store")
        self._pending: deque[tuple[Future[Any], int]] = deque()
        self._bytes = 0

    def submit(self, task: Callable[[], Any], size: int = 0) -> None:
        """Queue `task` (holding `size` bytes); wait while too much is queued."""
        self._pending.append((self._pool.submit(task), size))
        self._bytes += size
        while self._pending and (self._bytes > PENDING_BYTES or self._pending[0][0].done()):
            self._wait_oldest()

    def drain(self) -> None:
        """Wait for every queued task; raises the first error."""
        while self._pending:
            self._wait_oldest()

    def close(self) -> None:
        """Wait for the thread to finish, ignoring errors (after a failure)."""
        for future, _size in self._pending:
            future.cancel()
        self._pending.clear()
        self._bytes = 0
        self._pool.shutdown(wait=True)

    def _wait_oldest(self) -> None:
        future, size = self._pending.popleft()
        self._bytes -= size
        future.result()


class TableFiles:
    """The load's files of one table: rows buffered per partition, written as row groups.

    Args:
        folder: the table's folder (`<store>/<table>`).
        schema: the table's columns without the partition column (`SCHEMAS[table]`).
        load: the load's id, part of every file name (so loads never share a name).
    """

    def __init__(self, folder: Path, schema: pa.Schema, load: str) -> None:
        self.folder = folder
        self.schema = schema
        self._load = load
        self._buffers: dict[str, list[pa.Table]] = {}
        self._waiting: dict[str, list[int]] = {}  # date -> [rows, bytes] buffered
        self._writers: dict[str, tuple[pq.ParquetWriter, LoadFile]] = {}
        self._done: list[LoadFile] = []
        self.buffered = 0  # bytes

    def add(self, rows: pa.Table | pa.RecordBatch, days: pa.Array, page: int) -> None:
        """Buffer `rows` (this table's schema), each in the partition of its date (`days`:
        `date32`, null for the "unknown" partition)."""
        if isinstance(rows, pa.RecordBatch):
            rows = pa.Table.from_batches([rows])
        if rows.schema != self.schema:
            rows = rows.cast(self.schema)
        for date, part in _by_date(rows, days):
            current = self._current(date)
            waiting = self._waiting.setdefault(date, [0, 0])
            current.marks.append((page, current.rows + waiting[0]))
            self._buffers.setdefault(date, []).append(part)
            size = part.get_total_buffer_size()
            waiting[0] += part.num_rows
            waiting[1] += size
            self.buffered += size
            if waiting[0] >= ROW_GROUP_ROWS:
                self.flush(date)

    def largest(self) -> str | None:
        """The partition with the most buffered bytes, or None."""
        return max(self._waiting, key=lambda date: self._waiting[date][1], default=None)

    def flush(self, date: str) -> None:
        """Write the buffered rows of one partition as a row group."""
        batches = self._buffers.pop(date, [])
        _rows, size = self._waiting.pop(date, (0, 0))
        if not batches:
            return
        table = pa.concat_tables(batches)
        self.buffered -= size
        writer, current = self._writers[date]
        writer.write_table(table, row_group_size=table.num_rows)
        current.rows += table.num_rows
        if current.rows >= FILE_ROWS:
            self._close(date)

    def close(self) -> list[LoadFile]:
        """Write every buffer and close every file; the files written, in order."""
        for date in list(self._buffers):
            self.flush(date)
        for date in list(self._writers):
            self._close(date)
        return self._done

    def paths(self) -> set[str]:
        """The paths (relative to the table folder) of every file begun, open or closed."""
        return {f.path for f in self._done} | {f.path for _w, f in self._writers.values()}

    def discard(self) -> None:
        """Close and delete every file of this load (nothing of them was committed); call
        once the background thread is closed."""
        writers = [w for w, _f in self._writers.values()] + [f.writer for f in self._done]
        for writer in writers:
            close_quietly(writer)
        for load_file in [*self._done, *(f for _w, f in self._writers.values())]:
            (self.folder / load_file.path).unlink(missing_ok=True)
        self._writers.clear()
        self._buffers.clear()
        self._waiting.clear()
        self._done.clear()
        self.buffered = 0

    def _current(self, date: str) -> LoadFile:
        if date not in self._writers:
            relative = new_name(date, self._load)
            (self.folder / relative).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                str(self.folder / relative), self.schema, **writer_options(self.schema)
            )
            self._writers[date] = (writer, LoadFile(relative, date))
        return self._writers[date][1]

    def _close(self, date: str) -> None:
        writer, load_file = self._writers.pop(date)
        load_file.writer = writer
        self._done.append(load_file)
        writer.close()
        load_file.metadata = writer.writer.metadata


def close_quietly(writer: pq.ParquetWriter | None) -> None:
    """Close a writer after a failure (a full disk), so that it never raises again when
    collected."""
    if writer is not None:
        try:
            writer.close()
        except OSError:
            writer.is_open = False
            with contextlib.suppress(OSError):
                writer.file_handle and writer.file_handle.close()


def writer_options(schema: pa.Schema) -> dict[str, Any]:
    """The `pq.ParquetWriter` options of a store file of `schema`: zstd, and dictionaries
    and row-group statistics on every column but those that gain nothing from them
    (`_NO_DICTIONARY`, `_NO_STATISTICS`)."""
    return {
        "compression": COMPRESSION,
        "use_dictionary": [name for name in schema.names if name not in _NO_DICTIONARY],
        "write_statistics": [name for name in schema.names if name not in _NO_STATISTICS],
    }


def new_name(date: str, load: str) -> str:
    """A fresh file path, relative to a table folder, in the partition of `date`."""
    return f"{PARTITION}={date}/part-{load}-{uuid.uuid4().hex[:12]}.zstd.parquet"


def rewrite(
    folder: Path, relative: str, date: str, load: str, drop: Callable[[pa.Table, int], pa.Array]
) -> tuple[str | None, pq.FileMetaData | None, int]:
    """Copy a file without the rows `drop(row_group, first_row)` marks, one row group at a
    time; returns (the new file's relative path, its metadata, rows dropped), or
    (None, None, rows dropped) when nothing is left. Nothing is written when nothing drops.
    """
    source = pq.ParquetFile(str(folder / relative))
    masks, first = [], 0
    for index in range(source.num_row_groups):
        ids = source.read_row_group(index, columns=["event_id"])
        masks.append(drop(ids, first))
        first += ids.num_rows
    dropped = sum(int(pc.sum(m).as_py() or 0) for m in masks)
    if not dropped:
        return relative, None, 0
    if dropped == first:
        return None, None, dropped
    target = new_name(date, load)
    schema = source.schema_arrow
    writer = pq.ParquetWriter(str(folder / target), schema, **writer_options(schema))
    try:
        for index, mask in enumerate(masks):
            kept = source.read_row_group(index).filter(pc.invert(mask))
            if kept.num_rows:
                writer.write_table(kept, row_group_size=kept.num_rows)
        writer.close()
    except BaseException:
        close_quietly(writer)
        (folder / target).unlink(missing_ok=True)
        raise
    return target, writer.writer.metadata, dropped


def add_action(folder: Path, relative: str, date: str, metadata: pq.FileMetaData) -> AddAction:
    """The Delta `add` action of a written file, with its statistics (numRecords and the
    minValues / maxValues / nullCount of its columns, from the Parquet footer)."""
    from deltalake.transaction import AddAction

    return AddAction(
        path=relative,
        size=os.path.getsize(folder / relative),
        partition_values={PARTITION: date},
        modification_time=int(time.time() * 1000),
        data_change=True,
        stats=json.dumps(_stats(metadata)),
    )


def _stats(metadata: pq.FileMetaData) -> dict[str, Any]:
    """Delta file statistics from the row-group statistics of a Parquet footer."""
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            column = row_group.column(index)
            name, stats = column.path_in_schema, column.statistics
            if stats is None:
                continue
            nulls[name] = nulls.get(name, 0) + stats.null_count
            if stats.has_min_max and not isinstance(stats.min, bool | bytes):
                low[name] = stats.min if name not in low else min(low[name], stats.min)
                high[name] = stats.max if name not in high else max(high[name], stats.max)
    minimum = {k: _stat_value(v, up=False) for k, v in low.items()}
    maximum = {k: _stat_value(v, up=True) for k, v in high.items()}
    return {
        "numRecords": metadata.num_rows,
        "minValues": {k: v for k, v in minimum.items() if v is not None},
        "maxValues": {k: v for k, v in maximum.items() if v is not None},
        "nullCount": nulls,
    }


def _stat_value(value: Any, *, up: bool) -> Any:
    """A statistic as Delta writes it: times in UTC milliseconds (a maximum rounded up, so
    it never falls below the true one), long text left out."""
    if isinstance(value, datetime):
        millis = value.replace(microsecond=value.microsecond // 1000 * 1000)
        if up and millis != value:
            millis += timedelta(milliseconds=1)
        return millis.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis.microsecond // 1000:03d}Z"
    if isinstance(value, str) and len(value) > _STATS_TEXT:
        return None
    return value


def _by_date(rows: pa.Table, days: pa.Array) -> list[tuple[str, pa.Table]]:
    """The rows of each partition date, given each row's date (`date32`, null: unknown);
    one slice, no copy, when they share one date. Dates as partition text, e.g.
    "2026-07-15" or "unknown"."""
    if not rows.num_rows:
        return []
    if days.null_count == len(days):
        return [(_UNKNOWN_DATE, rows)]
    low_high = pc.min_max(days)
    if not days.null_count and low_high["min"] == low_high["max"]:
        return [(low_high["min"].as_py().isoformat(), rows)]
    parts = [
        (day.isoformat(), rows.filter(pc.equal(days, day)))
        for day in pc.unique(days.drop_null()).to_pylist()
    ]
    if days.null_count:
        parts.append((_UNKNOWN_DATE, rows.filter(pc.is_null(days))))
    return parts


def remove_load_files(folder: Path, load: str, keep: set[str] = frozenset()) -> int:
    """Delete the files of load `load` in a table folder (any process's), but those in
    `keep` (relative paths); returns how many were deleted. Call once no process writes
    them any more: only uncommitted files may be deleted."""
    removed = 0
    for path in folder.glob(f"{PARTITION}=*/part-{load}-*.parquet"):
        if str(path.relative_to(folder)) not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def load_id() -> str:
    """A new load's id: a time prefix (files sort by load) and random hex."""
    return f"{int(time.time()):x}-{uuid.uuid4().hex[:8]}"
