"""The write side of the store: `StoreWriter`, which holds the lock for one load, takes its
pages (or the files its worker processes wrote) and commits them as one transaction
(`store.commit`), and the recovery of what a killed writer left (see `provlytics.store`)."""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from filelock import FileLock, Timeout

from provlytics.errors import ConfigError
from provlytics.schema import LOG_TABLES, TABLE_NAMES
from provlytics.store.commit import Changes, Load, commit
from provlytics.store.common import (
    LOCK,
    LOCK_TIMEOUT,
    OTHERS,
    STAGING,
    StoreBusyError,
    StoreWriteError,
    _as_table,
    _exists,
    require_retention_store,
)
from provlytics.store.files import load_id, remove_load_files
from provlytics.store.history import (
    RETENTION,
    changes_files_after,
    remove_dead_files,
    remove_expired,
    retention,
    retention_property,
)
from provlytics.store.pages import LoadPages, Written
from provlytics.store.read import _commit_versions
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)


class StoreWriter:
    """Writes one load into the store's table folders as it arrives and commits it as one
    transaction (see the module).

    Pages come from this process (`write_page`) and from worker processes, which write
    files of the same load (`load`) with their own `LoadPages` and hand them over closed
    (`adopt`). `abort` deletes every file of the load, the workers' too.

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
        self.load = load_id()
        self._pages: LoadPages | None = LoadPages(self.root, self.load)
        self._adopted: list[Written] = []
        self._jobs: list[pa.Table] = []
        self.changes: Changes = {}  # after `commit`: table -> rows "written", "replaced"

    def write_page(self, page: Any, *, key: int | None = None) -> None:
        """Hand one normalized page (`PageTables`) to the writing thread, under the page key
        `key` (`store.pages.page_key`; None: after the pages written so far). The later
        key wins when an event repeats; within the page, its last copy, with that copy's
        children."""
        pages = self._open()
        _guarded(self.root, lambda: pages.write(page, key))

    def write_jobs(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Hold job-status rows for the commit (they are few: one row per job snapshot)."""
        self._jobs.append(_as_table(batch))

    def write_frames(self, frames: ProvisioningFrames) -> None:
        """Hand in-memory (already de-duplicated) frames to the writing thread."""
        pages = self._open()
        tables = {n: frames.table(n) for n in LOG_TABLES}
        _guarded(self.root, lambda: pages.write_tables(tables))
        self._jobs.append(frames.table("job_status"))

    def adopt(self, written: Written) -> None:
        """Take the closed files (and page hashes) a worker process wrote for this load
        (`LoadPages` of `root` and `load`), to be committed with this process's own."""
        self._open()
        self._adopted.append(written)

    def remove_workers_files(self) -> None:
        """Delete the files worker processes wrote for this load (every file of the load in
        the table folders but this process's own, which stay to be committed): their pages
        are to be written again here."""
        own = _guarded(self.root, self._open().own)
        for name in LOG_TABLES:
            if (self.root / name).is_dir():
                remove_load_files(self.root / name, self.load, own[name])

    def commit(self, info: dict[str, Any]) -> int:
        """Commit the load; returns the new store version, and keeps in `changes` what it did
        to each table (`store.commit.commit`: rows written and replaced). The lock stays held
        (for writing the manifest) until `abort()`.

        Args:
            info: JSON-encodable facts kept in the events commit (`provlytics.info`).

        Raises:
            StoreWriteError: an `OSError` or Delta failure; the store is as it was before.
        """
        pages = self._open()
        try:
            written = _guarded(self.root, pages.close)
        except BaseException:
            self.abort()
            raise
        self._pages = None
        load = Load(self.load, {name: [] for name in LOG_TABLES}, [], self._jobs)
        for part in [written, *self._adopted]:
            for name, files in part.files.items():
                load.files[name] += files
            load.hashes += part.hashes
        self._adopted = []
        try:
            version, self.changes = _guarded(self.root, lambda: commit(self.root, load, info))
            return version
        except BaseException:
            _guarded(self.root, lambda: recover(self.root), quiet=True)
            self._lock.release()
            raise

    def abort(self) -> None:
        """Delete the load's files (none of them committed; the workers' too: call once they
        stopped) and release the lock; the store stays as it was. After `commit`, only
        releases the lock."""
        if self._pages is not None:
            self._pages.discard()
            self._pages = None
            for name in LOG_TABLES:
                if (self.root / name).is_dir():
                    _guarded(self.root, lambda n=name: remove_load_files(self.root / n, self.load))
        self._adopted = []
        self._jobs.clear()
        if self._lock.is_locked:
            self._lock.release()

    def _open(self) -> LoadPages:
        if self._pages is None:
            raise StoreWriteError(f"{self.root}: this load was already committed or aborted")
        return self._pages


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


def recover(root: Path) -> None:
    """Repair what a killed writer left and vacuum what the retention no longer keeps (see
    the module); call with the lock held."""
    events = root / "events"
    if not _exists(events):
        for name in TABLE_NAMES:
            if (root / name).exists():
                logger.warning("%s: removing %s of a first load that never committed", root, name)
                shutil.rmtree(root / name)
    for staged in root.glob(f"{STAGING}*"):
        shutil.rmtree(staged, ignore_errors=True)
    if not _exists(events):
        return
    tables = {name: DeltaTable(str(root / name)) for name in TABLE_NAMES}  # each opened once
    versions = _commit_versions(root, tables["events"])
    for name, version in versions.items():
        if changes_files_after(root / name, version, tables[name].version()):
            logger.warning(
                "%s: %s restored to version %d (an unfinished load)", root, name, version
            )
            tables[name].restore(version)
            tables[name] = DeltaTable(str(root / name))
    kept = retention(tables["events"])
    _align_retention(root, tables)
    for name, table in tables.items():
        remove_dead_files(root / name, table, versions.get(name))
        remove_expired(root / name, table, kept)


def _align_retention(root: Path, tables: dict[str, DeltaTable]) -> None:
    """Give every table the retention property of the events table, when that one has it
    and another differs (a store written before every table carried it, a `set_retention`
    that stopped between tables, a restore that took a table back before it was set)."""
    wanted = tables["events"].metadata().configuration.get(RETENTION)
    if wanted is None:
        return
    for name, table in tables.items():
        if table.metadata().configuration.get(RETENTION) != wanted:
            logger.info("%s: %s keeps replaced files as the events table does", root, name)
            table.alter.set_table_properties({RETENTION: wanted})


def set_retention(root: str | Path, days: float, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
    """Keep what a later load replaced for `days` (time travel reaches that far back; 0:
    only the latest load and the one before it). Stored as Delta's own
    `delta.deletedFileRetentionDuration` of every table of the store (7 days when unset),
    so that another engine's VACUUM of any table keeps as much; every later load's vacuum
    applies the events table's to every table. A commit of its own in each table, events
    last (a store version that holds the load before it).

    Example: `provlytics.store.set_retention("store/", 30)`

    Raises:
        ConfigError: `days` is not a number from 0 to 36500.
        InputError: `root` is not a store (load into it first), or is a snapshot (plain
            Parquet, no versions).
        StoreBusyError: another writer held the lock past `lock_timeout` seconds.
        StoreWriteError: a table could not be written.
    """
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 <= days < 36500:
        raise ConfigError(f"days takes a number of days from 0 to 36500; got {days!r}")
    root = Path(root)
    require_retention_store(root)
    lock = FileLock(str(root / LOCK), mode=0o600)
    _acquire(lock, root, lock_timeout)
    try:
        properties = retention_property(timedelta(days=days))
        for name in (*OTHERS, "events"):  # events, the store's commit point, last
            _guarded(root, lambda n=name: _set_properties(root / n, properties))
        logger.info("%s: keeps replaced versions for %s", root, properties[RETENTION])
    finally:
        lock.release()


def _set_properties(folder: Path, properties: dict[str, str]) -> None:
    DeltaTable(str(folder)).alter.set_table_properties(properties)
