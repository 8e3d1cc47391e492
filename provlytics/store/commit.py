"""The commit of a load across the tables (see `provlytics.store`): the copies of events a
later page of the load replaced are dropped, the stored copies of the load's events are
removed, and every table gets one Delta commit, `events` last as the commit point.

Works on what the load wrote (`Load`: its closed files and page hashes, from the loading
process and its workers alike); reads back only the `event_id` column of the files it must
check, and rewrites only the files that hold a replaced event.
"""

from __future__ import annotations

import json
import logging
import os
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
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from provlytics.schema import KEYS, SCHEMAS, TIME_COLUMNS
from provlytics.store.common import (
    CHILDREN,
    INFO,
    PARTITION,
    VERSIONS,
    _dates,
    _exists,
    _flat,
    _with_dates,
)
from provlytics.store.files import LoadFile, add_action, rewrite
from provlytics.store.history import DEFAULT_RETENTION, retention, retention_property
from provlytics.store.pages import id_hashes
from provlytics.tables import last_rows

logger = logging.getLogger(__name__)

_PROPERTIES = WriterProperties(compression="ZSTD")


@dataclass
class Load:
    """What a load wrote: its id, its closed files per table, the hashes of each page's
    event ids (in page order) and the job-status rows."""

    id: str
    files: dict[str, list[LoadFile]]
    hashes: list[np.ndarray]
    jobs: list[pa.Table]


Changes = dict[str, dict[str, int]]  # table -> {"written": rows, "replaced": rows}


def commit(root: Path, load: Load, info: dict[str, Any]) -> tuple[int, Changes]:
    """Drop the copies of events that a later page replaced, then commit every table, events
    last (naming the versions of the others).

    Returns:
        The store version, and what the load did to each table: `written`, the rows it
        added (for `events`, the distinct events of the load), and `replaced`, the rows
        already stored that it replaced (stored events loaded again, their children, job
        snapshots of the same job and time). Counted from the commit's own actions and file
        footers: no extra scan.
    """
    replaced = _superseded(root / "events", load)
    rewritten: list[Any] = []  # the events files holding stored copies of the load's events
    stored: dict[str, pa.Array] = {}  # and those events' ids, by date: children to remove
    removed = 0  # stored events replaced
    kept = DEFAULT_RETENTION  # the store's retention, given to each table it creates
    if _exists(root / "events"):
        events = DeltaTable(str(root / "events"))
        kept = retention(events)
        wanted = _ids_by_date(root / "events", load.files["events"])
        rewritten, stored, removed = _replace_stored(
            root / "events", events, load.id, wanted, collect=True
        )
    created = retention_property(kept)
    versions, changes = {}, {}
    for name in CHILDREN:
        versions[name], changes[name] = _commit_table(
            root, name, load, replaced, stored, created=created
        )
    jobs = _upsert(root / "job_status", "job_status", _jobs(load.jobs), created=created)
    versions["job_status"], changes["job_status"] = jobs
    metadata = {VERSIONS: json.dumps(versions), INFO: json.dumps(info, ensure_ascii=False)}
    version, written = _commit_table(
        root, "events", load, replaced, {}, rewritten, metadata=metadata, created=created
    )
    changes = {"events": {**written, "replaced": removed}, **changes}
    logger.info("%s: committed store version %d", root, version)
    return version, changes


def _superseded(folder: Path, load: Load) -> _Replaced | None:
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
            mask = np.isin(id_hashes(ids), twice)
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
    load: Load,
    replaced: _Replaced | None,
    stored: dict[str, pa.Array],
    rewritten: list[Any] = (),
    *,
    metadata: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
) -> tuple[int, dict[str, int]]:
    """One Delta commit of a log table: the load's files (without rows a later page
    replaced) added, stored files holding rows of the `stored` event ids rewritten without
    them, and the `rewritten` actions; the table's version (unchanged, without a commit,
    when there is nothing to do), and the rows `written` from the load and `replaced` (the
    stored rows of the `stored` ids, removed). A table created gets the `created` table
    properties."""
    folder = root / name
    added = _load_actions(folder, load, load.files[name], replaced)
    written = {"written": sum(json.loads(a.stats)["numRecords"] for a in added), "replaced": 0}
    actions: list[Any] = [*added, *rewritten]
    schema = _delta_schema(name)
    commit = CommitProperties(custom_metadata=metadata) if metadata else None
    if not _exists(folder):
        create_table_with_add_actions(
            str(folder), schema, actions, mode="error", partition_by=[PARTITION],
            configuration=created, commit_properties=commit,
        )  # fmt: skip
        return 0, written
    table = DeltaTable(str(folder))
    if stored:
        more, _found, written["replaced"] = _replace_stored(
            folder, table, load.id, stored, collect=False
        )
        actions += more
    if not actions and metadata is None:
        return table.version(), written
    table.create_write_transaction(
        actions, mode="append", schema=schema, partition_by=[PARTITION], commit_properties=commit
    )
    return DeltaTable(str(folder)).version(), written


def _load_actions(
    folder: Path,
    load: Load,
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
) -> tuple[list[Any], dict[str, pa.Array], int]:
    """Remove (and add rewritten) the stored files that hold rows of the `ids` (by date);
    an event keeps its date, so only those dates' files are read (their `event_id` column
    first; the whole file only when it holds some). Returns the actions, if `collect` the
    ids found, by date, and the rows removed."""
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
    removed_rows: list[int] = []  # list.append is atomic across the pool's threads

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
        removed_rows.append(dropped)
        removed = RemoveAction(path, True, int(time.time() * 1000), size, {PARTITION: date})
        return [removed] + ([add_action(folder, new, date, metadata)] if new else [])

    with ThreadPoolExecutor(os.cpu_count()) as pool:  # reading releases the GIL
        actions = [a for done in pool.map(lambda c: replace(*c), candidates) for a in done]
    hits = {date: pa.concat_arrays(arrays) for date, arrays in found.items()}
    return actions, {date: hit for date, hit in hits.items() if len(hit)}, sum(removed_rows)


def _jobs(parts: list[pa.Table]) -> pa.Table:
    """The load's job snapshots: the last row of each key."""
    schema = SCHEMAS["job_status"]
    jobs = pa.concat_tables([p.cast(schema) for p in parts] or [schema.empty_table()])
    return jobs.take(last_rows(jobs, KEYS["job_status"])) if jobs.num_rows else jobs


def _delta_schema(name: str) -> DeltaSchema:
    return DeltaSchema.from_arrow(SCHEMAS[name].append(pa.field(PARTITION, pa.string())))


def _upsert(
    path: Path, name: str, rows: pa.Table, *, created: dict[str, str] | None = None
) -> tuple[int, dict[str, int]]:
    """Merge `rows` on the table's keys (the new row wins); the table's version (no commit
    when there are no rows and the table exists), and the rows `written` and `replaced`
    (updated, by the merge's metrics). A table created gets the `created` table
    properties."""
    data = _with_dates(name, rows, _dates(rows, TIME_COLUMNS[name]))
    written = {"written": data.num_rows, "replaced": 0}
    if not _exists(path):
        write_deltalake(
            str(path), data, partition_by=[PARTITION], writer_properties=_PROPERTIES,
            configuration=created,
        )  # fmt: skip
        return 0, written
    table = DeltaTable(str(path))
    if not data.num_rows:
        return table.version(), written
    on = " AND ".join(f"t.{k} = s.{k}" for k in KEYS[name])
    merge = table.merge(
        data, on, source_alias="s", target_alias="t", writer_properties=_PROPERTIES
    )  # fmt: skip
    metrics = merge.when_matched_update_all().when_not_matched_insert_all().execute()
    written["replaced"] = int(metrics.get("num_target_rows_updated", 0))
    return DeltaTable(str(path)).version(), written
