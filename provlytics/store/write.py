"""The write side of the store: `StoreWriter`, the commit of a load across the tables and
the recovery of what a killed writer left (see `provlytics.store`)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions
from filelock import FileLock, Timeout

from provlytics.schema import KEYS, LOG_TABLES, SCHEMAS, TABLE_NAMES, TIME_COLUMNS
from provlytics.store.common import (
    _UNKNOWN_DATE,
    CHILDREN,
    INFO,
    LOCK,
    LOCK_TIMEOUT,
    PARTITION,
    STAGING,
    VERSIONS,
    StoreBusyError,
    StoreWriteError,
    _as_table,
    _dates,
    _exists,
    _flat,
    _with_dates,
)
from provlytics.store.files import (
    BUFFER_BYTES,
    Background,
    LoadFile,
    TableFiles,
    add_action,
    load_id,
    rewrite,
)
from provlytics.store.read import _commit_versions
from provlytics.tables import (
    ProvisioningFrames,
    keep_last,
    last_rows,
    tag_occurrences,
)

logger = logging.getLogger(__name__)

_PROPERTIES = WriterProperties(compression="ZSTD")


class StoreWriter:
    """Writes one load into the store's table folders as it arrives and commits it as one
    transaction (see the module).

    Args:
        root: the store folder (created by the caller).
        lock_timeout: seconds to wait for another writer before `StoreBusyError`.

    Raises:
        StoreBusyError: the lock was not free within `lock_timeout`.
        StoreWriteError: (any method) an `OSError` or Delta failure, naming the folder.
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root)
        self._lock = FileLock(str(self.root / LOCK), mode=0o600)
        _acquire(self._lock, self.root, lock_timeout)
        try:
            _guarded(self.root, lambda: recover(self.root))
        except BaseException:
            self._lock.release()
            raise
        self._load = load_id()
        self._background = Background()
        self._files = {
            name: TableFiles(self.root / name, SCHEMAS[name], self._load) for name in LOG_TABLES
        }
        self._hashes: list[np.ndarray] = []  # each page's event id hashes (8 bytes an event)
        self._jobs: list[pa.Table] = []
        self._occurrences = 0

    def write_page(self, page: Any) -> None:
        """Hand one normalized page (`PageTables`) to the writing thread; an event repeated
        within the page is kept once, its last copy with that copy's children."""
        first = self._occurrences
        self._occurrences += page.batches["events"].num_rows
        size = sum(batch.get_total_buffer_size() for batch in page.batches.values())
        task = lambda: self._add(_last_copies(page, first))  # noqa: E731
        _guarded(self.root, lambda: self._background.submit(task, size))

    def write_jobs(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Hold job-status rows for the commit (they are few: one row per job snapshot)."""
        self._jobs.append(_as_table(batch))

    def write_frames(self, frames: ProvisioningFrames) -> None:
        """Hand in-memory (already de-duplicated) frames to the writing thread."""
        tables = {n: frames.table(n) for n in LOG_TABLES}
        _guarded(self.root, lambda: self._background.submit(lambda: self._add(tables)))
        self._jobs.append(frames.table("job_status"))

    def commit(self, info: dict[str, Any]) -> int:
        """Commit the load; returns the new store version. The lock stays held (for writing
        the manifest) until `abort()`.

        Args:
            info: JSON-encodable facts kept in the events commit (`provlytics.info`).

        Raises:
            StoreWriteError: an `OSError` or Delta failure; the store is as it was before.
        """
        try:
            _guarded(self.root, self._background.drain)
            files = _guarded(self.root, lambda: {n: f.close() for n, f in self._files.items()})
        except BaseException:
            self.abort()
            raise
        self._background.close()
        load = _Load(self._load, files, self._hashes, self._jobs)
        try:
            return _guarded(self.root, lambda: _commit(self.root, load, info))
        except BaseException:
            _guarded(self.root, lambda: recover(self.root), quiet=True)
            self._lock.release()
            raise
        finally:
            self._files = {}

    def abort(self) -> None:
        """Delete the load's files (none of them committed) and release the lock; the store
        stays as it was."""
        self._background.close()
        for files in self._files.values():
            files.discard()
        self._files = {}
        self._hashes.clear()
        self._jobs.clear()
        if self._lock.is_locked:
            self._lock.release()

    def _add(self, tables: dict[str, Any]) -> None:
        """Write the log tables of one page (each event once) into the load's files (in the
        writing thread)."""
        page = len(self._hashes)
        events = tables["events"]
        ids, dates = _flat(events["event_id"]), _dates(events, "activity_time")
        self._hashes.append(_hashes(ids))
        for name in LOG_TABLES:
            rows = tables[name]
            if rows.num_rows:
                where = None if name == "events" else pc.index_in(rows["event_id"], value_set=ids)
                own = dates if where is None else pc.fill_null(pc.take(dates, where), _UNKNOWN_DATE)
                self._files[name].add(rows, own, page)
        while sum(f.buffered for f in self._files.values()) > BUFFER_BYTES:
            fullest = max(self._files.values(), key=lambda f: f.buffered)
            fullest.flush(fullest.largest())


def _last_copies(page: Any, first: int) -> dict[str, Any]:
    """The log tables of a page, each event once: its last copy with that copy's children
    (the batches as they are when no id repeats, checked with one hash pass)."""
    batches = page.batches
    events = batches["events"]
    if events.num_rows < 2 or len(pc.unique(events["event_id"])) == events.num_rows:
        return batches
    tagged = tag_occurrences(page, first)
    return keep_last({name: pa.Table.from_batches([b]) for name, b in tagged.items()})


@dataclass
class _Load:
    """What a load wrote: its id, its closed files per table, the hashes of each page's
    event ids (in page order) and the job-status rows."""

    id: str
    files: dict[str, list[LoadFile]]
    hashes: list[np.ndarray]
    jobs: list[pa.Table]


def _acquire(lock: FileLock, root: Path, timeout: float) -> None:
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        logger.warning(
            "%s: another provlytics process is writing; waiting up to %.0f s", root, timeout
        )
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise StoreBusyError(
            f"{root}: another provlytics process kept the store locked for {timeout:.0f} s "
            f"({root / LOCK}); try again when it has finished"
        ) from None


def _guarded(root: Path, action: Any, *, quiet: bool = False) -> Any:
    """Run `action`; an `OSError` or Delta failure becomes `StoreWriteError` naming `root`."""
    try:
        return action()
    except (OSError, DeltaError) as exc:
        if quiet:
            logger.warning("%s: could not repair the store now (%s); the next load will", root, exc)
            return None
        raise StoreWriteError(f"{root}: the store could not be written ({exc})") from exc


def _commit(root: Path, load: _Load, info: dict[str, Any]) -> int:
    """Drop the copies of events that a later page replaced, then commit every table, events
    last (naming the versions of the others)."""
    replaced = _superseded(root / "events", load)
    rewritten: list[Any] = []  # the events files holding stored copies of the load's events
    stored: dict[str, pa.Array] = {}  # and those events' ids, by date: children to remove
    if _exists(root / "events"):
        events = DeltaTable(str(root / "events"))
        wanted = _ids_by_date(root / "events", load.files["events"])
        rewritten, stored = _replace_stored(root / "events", events, load.id, wanted, collect=True)
    versions = {}
    for name in CHILDREN:
        versions[name] = _commit_table(root, name, load, replaced, stored)
    versions["job_status"] = _upsert(root / "job_status", "job_status", _jobs(load.jobs))
    metadata = {VERSIONS: json.dumps(versions), INFO: json.dumps(info, ensure_ascii=False)}
    version = _commit_table(root, "events", load, replaced, {}, rewritten, metadata=metadata)
    logger.info("%s: committed store version %d", root, version)
    return version


def _superseded(folder: Path, load: _Load) -> _Replaced | None:
    """The event ids that more than one page of the load holds, the last such page of each
    (later pages win) and the pages holding an earlier copy; None when every id is once in
    the load.

    The ids' 64-bit hashes are sorted (8 bytes an event, where a hash table of the ids
    themselves takes about 140 MB a million); only when a hash repeats are the ids read
    back from the load's events files and compared, for those hashes only.
    """
    ordered = np.sort(np.concatenate(load.hashes)) if load.hashes else np.array([], np.int64)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(twice):
        return None
    candidates, pages = [], []
    for load_file in load.files["events"]:
        source, first = pq.ParquetFile(str(folder / load_file.path)), 0
        for index in range(source.num_row_groups):
            ids = _flat(source.read_row_group(index, columns=["event_id"])["event_id"])
            mask = np.isin(_hashes(ids), twice)
            if mask.any():
                candidates.append(ids.filter(pa.array(mask)))
                pages.append(load_file.pages_of_rows(first, len(ids))[mask])
            first += len(ids)
    found = pa.table(
        {"event_id": pa.chunked_array(candidates, pa.string()), "page": np.concatenate(pages)}
    )
    counted = found.group_by("event_id", use_threads=False).aggregate(
        [("page", "max"), ("page", "count")]
    )
    repeated = counted.filter(pc.greater(counted["page_count"], 1))
    if not repeated.num_rows:  # hashes that collided, ids that differ
        return None
    ids, last = _flat(repeated["event_id"]), repeated["page_max"].to_numpy()
    where = pc.index_in(found["event_id"], value_set=ids)
    known = pc.is_valid(where).to_numpy(zero_copy_only=False)
    positions = pc.fill_null(where, 0).to_numpy()
    earlier = known & (found["page"].to_numpy() < last[positions])
    return _Replaced(ids, last, set(found["page"].to_numpy()[earlier].tolist()))


@dataclass
class _Replaced:
    """Events that a later page of the load replaced: their `ids`, the `last` page of each
    and the `stale` pages that hold an earlier copy."""

    ids: pa.Array
    last: np.ndarray
    stale: set[int]


def _hashes(ids: pa.Array) -> np.ndarray:
    """A 64-bit hash of each id (Python's, stable within the process)."""
    return np.fromiter(map(hash, ids.to_pylist()), np.int64, len(ids))


def _ids_by_date(folder: Path, files: list[LoadFile]) -> dict[str, pa.Array]:
    """The event ids of the load's events files, by partition date (read back from the
    files: the column alone), to find their stored copies."""
    ids: dict[str, list[pa.Array]] = {}
    for load_file in files:
        column = pq.read_table(str(folder / load_file.path), columns=["event_id"])["event_id"]
        ids.setdefault(load_file.date, []).append(_flat(column))
    return {date: pa.concat_arrays(arrays) for date, arrays in ids.items()}


def _commit_table(
    root: Path,
    name: str,
    load: _Load,
    replaced: _Replaced | None,
    stored: dict[str, pa.Array],
    rewritten: list[Any] = (),
    *,
    metadata: dict[str, str] | None = None,
) -> int:
    """One Delta commit of a log table: the load's files (without rows a later page
    replaced) added, stored files holding rows of the `stored` event ids rewritten without
    them, and the `rewritten` actions; the table's version (unchanged, without a commit,
    when there is nothing to do)."""
    folder = root / name
    actions: list[Any] = [*_load_actions(folder, load, load.files[name], replaced), *rewritten]
    schema = _delta_schema(name)
    commit = CommitProperties(custom_metadata=metadata) if metadata else None
    if not _exists(folder):
        create_table_with_add_actions(
            str(folder), schema, actions, mode="error", partition_by=[PARTITION],
            commit_properties=commit,
        )  # fmt: skip
        return 0
    table = DeltaTable(str(folder))
    if stored:
        actions += _replace_stored(folder, table, load.id, stored, collect=False)[0]
    if not actions and metadata is None:
        return table.version()
    table.create_write_transaction(
        actions, mode="append", schema=schema, partition_by=[PARTITION], commit_properties=commit
    )
    return DeltaTable(str(folder)).version()


def _load_actions(
    folder: Path,
    load: _Load,
    files: list[LoadFile],
    replaced: _Replaced | None,
) -> list[AddAction]:
    """Add actions of the load's files; files holding copies a later page replaced are
    rewritten without them first (only those files)."""
    actions = []
    stale = set() if replaced is None else replaced.stale
    for load_file in files:
        path, metadata = load_file.path, load_file.metadata
        if stale and any(page in stale for page, _start in load_file.marks):
            path, new, _dropped = rewrite(
                folder, load_file.path, load_file.date, load.id,
                lambda ids, first, f=load_file: _replaced_rows(ids, f, first, replaced),
            )  # fmt: skip
            if path != load_file.path:
                (folder / load_file.path).unlink()
                metadata = new
        if path is not None:
            actions.append(add_action(folder, path, load_file.date, metadata))
    return actions


def _replaced_rows(ids: pa.Table, load_file: LoadFile, first: int, replaced: _Replaced) -> pa.Array:
    """Which rows (from row `first` of a load file) are copies a later page replaced."""
    where = pc.fill_null(pc.index_in(ids["event_id"], value_set=replaced.ids), -1).to_numpy()
    pages = load_file.pages_of_rows(first, ids.num_rows)
    return pa.array((where >= 0) & (pages < replaced.last[where]))


def _replace_stored(
    folder: Path, table: DeltaTable, load: str, ids: dict[str, pa.Array], *, collect: bool
) -> tuple[list[Any], dict[str, pa.Array]]:
    """Remove (and add rewritten) the stored files that hold rows of the `ids` (by date);
    an event keeps its date, so only those dates' files are read (their `event_id` column
    first; the whole file only when it holds some). Returns the actions and, if `collect`,
    the ids found, by date."""
    files = pa.table(table.get_add_actions(flatten=True))
    candidates = [
        (path, size, date)
        for path, size, date in zip(
            files["path"].to_pylist(), files["size_bytes"].to_pylist(),
            files[f"partition.{PARTITION}"].to_pylist(), strict=True,
        )
        if date in ids
    ]  # fmt: skip
    found: dict[str, list[pa.Array]] = {}

    def drop(ids_read: pa.Table, date: str) -> pa.Array:
        mask = pc.is_in(ids_read["event_id"], value_set=ids[date])
        if collect:
            found.setdefault(date, []).append(_flat(ids_read["event_id"].filter(mask)))
        return mask

    def replace(path: str, size: int, date: str) -> list[Any]:
        new, metadata, dropped = rewrite(
            folder, path, date, load, lambda ids_read, _first: drop(ids_read, date)
        )
        if not dropped:
            return []
        removed = RemoveAction(path, True, int(time.time() * 1000), size, {PARTITION: date})
        return [removed] + ([add_action(folder, new, date, metadata)] if new else [])

    with ThreadPoolExecutor(os.cpu_count()) as pool:  # reading releases the GIL
        actions = [a for done in pool.map(lambda c: replace(*c), candidates) for a in done]
    hits = {date: pa.concat_arrays(arrays) for date, arrays in found.items()}
    return actions, {date: hit for date, hit in hits.items() if len(hit)}


def _jobs(parts: list[pa.Table]) -> pa.Table:
    """The load's job snapshots: the last row of each key."""
    schema = SCHEMAS["job_status"]
    jobs = pa.concat_tables([p.cast(schema) for p in parts] or [schema.empty_table()])
    return jobs.take(last_rows(jobs, KEYS["job_status"])) if jobs.num_rows else jobs


def _delta_schema(name: str) -> DeltaSchema:
    return DeltaSchema.from_arrow(SCHEMAS[name].append(pa.field(PARTITION, pa.string())))


def _upsert(
    path: Path, name: str, rows: pa.Table, *, metadata: dict[str, str] | None = None
) -> int:
    """Merge `rows` on the table's keys (the new row wins); the table's version (no commit
    when there are no rows and the table exists)."""
    data = _with_dates(name, rows, _dates(rows, TIME_COLUMNS[name]))
    if not _exists(path):
        write_deltalake(
            str(path), data, partition_by=[PARTITION], writer_properties=_PROPERTIES
        )  # fmt: skip
        return 0
    table = DeltaTable(str(path))
    if not data.num_rows:
        return table.version()
    on = " AND ".join(f"t.{k} = s.{k}" for k in KEYS[name])
    merge = table.merge(
        data, on, source_alias="s", target_alias="t", writer_properties=_PROPERTIES
    )  # fmt: skip
    merge.when_matched_update_all().when_not_matched_insert_all().execute()
    return DeltaTable(str(path)).version()


def recover(root: Path) -> None:
    """Repair what a killed writer left (see the module); call with the lock held."""
    events = root / "events"
    if not _exists(events):
        for name in TABLE_NAMES:
            if (root / name).exists():
                logger.warning("%s: removing %s of a first load that never committed", root, name)
                shutil.rmtree(root / name)
    else:
        versions = _commit_versions(root, DeltaTable(str(events)))
        for name, version in versions.items():
            table = DeltaTable(str(root / name))
            if table.version() != version:
                logger.warning(
                    "%s: %s restored to version %d (an unfinished load)", root, name, version
                )
                table.restore(version)
    for staged in root.glob(f"{STAGING}*"):
        shutil.rmtree(staged, ignore_errors=True)
    for name in TABLE_NAMES:
        if _exists(root / name):
            DeltaTable(str(root / name)).vacuum(
                retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True
            )
