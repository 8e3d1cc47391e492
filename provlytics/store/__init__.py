"""The store: one Delta Lake table per canonical table, written by `deltalake` (delta-rs).

Layout: `<store>/<table>/` is a Delta table (Parquet files, zstd, partitioned by
`activity_date`; children take their event's date) with its `_delta_log/`; `manifest.json`
beside them describes the store for people and is never needed for consistency.

**Commit point.** A load is atomic across the tables because `events` is the commit point.
A load first commits the children (`steps`, `modified_properties`, `errors`: the load's
files added, the stored rows of the load's events removed) and upserts `job_status`, each a
Delta commit of its own, then commits the events in one last commit whose commit info
carries `provlytics.versions`: the version of every other table that goes with it. Readers
open `events` at a version and the other tables at the versions it names, so they see the
store before the load or after it, never a mix. The *store version* is the events table's
Delta version (`pv.read_parquet(store, version=N)`). Chosen over children filtered by a load
id because readers then need no join, the tables stay plain Delta tables that any engine
reads, and it costs nothing measurable.

**Streaming write** (`provlytics.store.files`, `.pages`; the commit in `.commit`). Pages
are written as they arrive, as row groups of Parquet files inside the table folders, by a
background thread, with the
rows of every table and partition buffered up to a fixed budget: memory is bounded by a
batch, never by the load or by a day of input, and nothing is staged and read back. The
files are uncommitted (no reader sees them) until the commit adds them with Delta's
transaction API (`create_write_transaction`: add and remove actions with statistics from
the Parquet footers). The commit does only the work a load needs:
- *Repeats within the load* (the last copy of an event wins, with its own children): a
  page that repeats an event is reduced to its last copy when written; across pages, only
  a 64-bit hash of each id is kept (8 bytes an event), and sorting them at commit tells
  whether any id may be in two pages. Only then are the ids of those hashes read back from
  the load's events files and compared, and the files holding an earlier page's copy
  rewritten without it (each file knows which page its rows came from).
- *Events already stored*: only when the store has events, and only in the partitions
  the load writes (an event keeps its `activityDateTime`, so its stored copy is in the
  same date, as in plain datasets): the events files whose `event_id` column holds a load
  id are rewritten without those rows, one row group at a time; the children's files are
  read only for the ids found there; all are swapped in the same commits as the load's
  files (remove + add).
*Worker processes* of a load (`provlytics.pipeline.store_workers`) write their own files
the same way, under the load's id, and hand the writer only their paths, footers, page keys
and id hashes (`StoreWriter.adopt`); pages are keyed by file, then page, so the last copy
wins as in one process. An aborted load deletes every file named with its id.
Measured (bench/store.py) against delta-rs's own `write_deltalake` of the same tables
(0.49 s against 1.41 s for 100k records' tables) and against its `merge` (which reads
and rewrites every file it touches and keeps the whole source in memory).

**Writers** hold an OS lock on `<store>/.provlytics.lock` (`filelock`; released by the OS
when a process dies) for the whole load; a second writer logs that it waits and gives up
after `lock_timeout` seconds with `StoreBusyError`.

**Recovery.** A writer that takes the lock first repairs what a killed one left: a table
whose commits after the version the last events commit names add or remove files is
restored to that version (`restore`; commits that change no file, a property set or a
vacuum, stay), a
store whose first load never committed its events is emptied, and staging folders of older
versions are removed. Then, in every table (`provlytics.store.history`), it deletes the
files of a load that died: those no version in the table's log names, and those only the
commits after the named version added (the restored ones); files a later load replaced
stay. Last, it vacuums the files later commits removed more than the store's **retention**
ago: Delta's own `delta.deletedFileRetentionDuration`, read from the events table and
applied to every table, 7 days when unset (Delta's default), set with `set_retention`
(`provlytics retention STORE DAYS`) on every table, and given to every table a load creates,
so that another engine's VACUUM of a child table keeps as much. So
time travel reaches every load within the retention, and the load before the latest
always. Delta's vacuum commits (and so takes a store version, holding the load before it)
only when there is a file to delete. The recovery reads every table's log (each table
opened once): on a store of 200 loads (2,408 files kept) 0.16-0.30 s, against 0.13-0.19 s
for the vacuum (retention 0, full) it replaces; of 50 loads 0.09-0.15 s against 0.15-0.17 s
(`python -m bench.store_recovery`, a 2-core machine under other load).

A write that fails (`OSError`, a full disk) is repaired the same way at once (a load that
fails before its commit deletes its own files) and raised as `StoreWriteError` naming the
folder.

The reading and writing sides (`read`, `write`) are imported when first used: a worker
process imports `provlytics.store.pages` (and so this package) without them, without
pandas or deltalake.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from provlytics.dataset_files import is_store
from provlytics.store.common import (
    CHILDREN,
    INFO,
    LOCK,
    LOCK_TIMEOUT,
    OTHERS,
    PARTITION,
    STAGING,
    VERSIONS,
    StoreBusyError,
    StoreWriteError,
)

__all__ = [
    "CHILDREN",
    "INFO",
    "LOCK",
    "LOCK_TIMEOUT",
    "OTHERS",
    "PARTITION",
    "STAGING",
    "VERSIONS",
    "StoreBusyError",
    "StoreWriteError",
    "StoreWriter",
    "datasets",
    "is_store",
    "read_retention",
    "read_store",
    "recover",
    "set_retention",
    "summary",
]

_LAZY = {
    "datasets": "read",
    "read_retention": "read",
    "read_store": "read",
    "summary": "read",
    "StoreWriter": "write",
    "recover": "write",
    "set_retention": "write",
}

if TYPE_CHECKING:
    from provlytics.store.read import datasets, read_retention, read_store, summary
    from provlytics.store.write import StoreWriter, recover, set_retention


def __getattr__(name: str) -> Any:
    """The names of `read` and `write`, imported on first use (PEP 562).

    Raises:
        AttributeError: `name` is not a name of this package.
    """
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
