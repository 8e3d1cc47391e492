"""Which form a dataset folder takes, and writing and reading each (DESIGN §3).

The **store** (`load_to_parquet`, `provlytics load/fetch --out`, `frames.to_parquet` into an
existing store) is the Delta tables of `provlytics.store`; the **snapshot**
(`frames.to_parquet(new_dir)`, `provlytics report`) is the plain Hive-partitioned Parquet of
`provlytics.parquet`, written into a fresh folder beside the target and renamed into place.
`read_parquet` reads both, and plain datasets of schema version 1.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from provlytics.dataset_files import LOG_SUFFIXES, is_dataset
from provlytics.errors import ConfigError, InputError, ProvlyticsError
from provlytics.manifest_sources import Listed, listed_sources, named_sources, printable
from provlytics.normalize.batch import PageTables
from provlytics.owner_only import DIRECTORY_MODE, FILE_MODE, private_dirs
from provlytics.parquet import (
    DatasetWriter,
    _manifest_info,
    _previous_manifest,
    _refuse_mix,
    _refuse_other_version,
    read_plain,
    write_manifest,
)
from provlytics.scan import Columns, Filters
from provlytics.store import LOCK, LOCK_TIMEOUT, StoreWriter, is_store, read_store, summary
from provlytics.tables import ProvisioningFrames
from provlytics.timebounds import TimeBound, narrowed_by

logger = logging.getLogger(__name__)


class StoreDatasetWriter:
    """`DatasetWriter`'s interface over a store: one locked transaction, then the manifest."""

    def __init__(self, root: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ProvlyticsError(f"{printable(self.root)} is a file; give a folder for the store")
        _refuse_other_version(self.root)
        self._created = not self.root.exists()
        try:
            private_dirs(self.root)
        except OSError as exc:
            raise ProvlyticsError(
                f"{printable(self.root)}: cannot create the store ({exc})"
            ) from exc
        self._store = StoreWriter(self.root, lock_timeout=lock_timeout)

    @property
    def store(self) -> StoreWriter:
        """The store's writer of this load (worker processes write files of its `load`)."""
        return self._store

    def write_page(self, page: PageTables) -> None:
        """Stage one normalized page."""
        self._store.write_page(page)

    def write_jobs(self, batch: Any) -> None:
        """Stage job-status rows."""
        self._store.write_jobs(batch)

    def write_frames(self, frames: ProvisioningFrames) -> None:
        """Hold in-memory frames for the commit."""
        self._store.write_frames(frames)

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Commit the load as one store version, then write `manifest.json` (under the lock)."""
        try:
            _refuse_mix(self.root, manifest.get("pseudonymized"))
            info = _manifest_info(manifest)
        except BaseException:
            self.abort()
            raise
        version = self._store.commit(info)
        try:
            _owner_only(self.root)
            done = {**info, "store_version": version, "last_load": self._store.changes}
            return write_manifest(self.root, done, facts=summary(self.root))
        except OSError as exc:
            logger.warning(
                "%s: version %d committed; manifest.json not written (%s)", self.root, version, exc
            )
            return self.root / "manifest.json"
        finally:
            self._store.abort()

    def abort(self) -> None:
        """Drop what was staged; the store stays as it was, and a folder this writer created
        is removed if it holds nothing but the lock file and empty folders."""
        self._store.abort()
        if self._created:
            _remove_unused(self.root)


def _remove_unused(folder: Path) -> None:
    """Remove a folder a failed load created, if it holds nothing but the store's lock file and
    empty folders (another writer's files are never touched)."""
    entries = sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    if any(p.is_file() and p.name != LOCK for p in entries):
        return
    for entry in entries:
        entry.unlink() if entry.is_file() else entry.rmdir()
    folder.rmdir()


def _owner_only(root: Path) -> None:
    """Folders 0700 and files 0600 below the store (delta-rs creates them by the umask)."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), DIRECTORY_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)


def write_dataset(frames: ProvisioningFrames, path: str | Path, *, store: bool = False) -> Path:
    """Write in-memory frames; returns the folder.

    Into a store, or anywhere but a plain dataset if `store`, one transaction merging them
    in; else into a new or empty folder, a plain snapshot written beside it and renamed into
    place; into a plain dataset, merged into it.

    Raises:
        ProvlyticsError: the folder could not be written (naming it); nothing is left.
    """
    root = Path(path)
    if is_store(root) or (store and not (root / "manifest.json").exists()):
        _write(StoreDatasetWriter(root), frames)
        return root
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        return _write_snapshot(frames, root)
    _write(DatasetWriter(root), frames)
    return root


def _write(writer: DatasetWriter | StoreDatasetWriter, frames: ProvisioningFrames) -> None:
    try:
        writer.write_frames(frames)
    except BaseException:
        writer.abort()
        raise
    writer.commit(_frames_info(frames, listed_sources(writer.root)))


def _frames_info(frames: ProvisioningFrames, listed: Listed) -> dict[str, Any]:
    """What the manifest says of the frames; no `source_ids` (hashes of paths) in a
    pseudonymized dataset, which is made to be shared."""
    named = named_sources(frames.sources, listed)
    info = {
        "sources": named.names,
        "source_ids": {} if frames.pseudonymized else named.ids,
        "records_read": frames.records_read,
        "records_rejected": len(frames.rejected),
    }
    if frames.pseudonymized:
        info["pseudonymized"] = frames.pseudonymized
    if frames.narrowed:
        info["narrowed"] = frames.narrowed
    return info


def _write_snapshot(frames: ProvisioningFrames, root: Path) -> Path:
    """A plain dataset written into a fresh folder beside `root`, renamed into place."""
    private_dirs(root.parent)
    fresh = root.parent / f".{root.name}.new-{uuid.uuid4().hex}"
    try:
        _write(DatasetWriter(fresh), frames)
        if root.exists():
            root.rmdir()  # empty: checked by the caller
        os.rename(fresh, root)
    except OSError as exc:
        raise ProvlyticsError(
            f"{printable(root)}: the snapshot could not be written ({exc})"
        ) from exc
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return root


def dataset_writer(
    out: str | Path, *, lock_timeout: float = LOCK_TIMEOUT
) -> StoreDatasetWriter | DatasetWriter:
    """The writer of a streamed load: a store, unless `out` already holds a plain dataset."""
    root = Path(out)
    if is_store(root) or not (root / "manifest.json").exists():
        return StoreDatasetWriter(root, lock_timeout=lock_timeout)
    logger.info("%s holds a plain dataset: merging into it as such", root)
    return DatasetWriter(root)


def refuse_no_dataset(root: Path) -> None:
    """An InputError naming `root` when it is no folder, or a folder of log files (which
    `pv.load` reads), rather than a dataset provlytics wrote."""
    if not root.exists():
        raise InputError(printable(root), "no such folder")
    if not root.is_dir():
        raise InputError(printable(root), "a file, not a dataset folder")
    if is_dataset(root):
        return
    logs = [p for p in root.rglob("*") if p.suffix.lower() in LOG_SUFFIXES and p.is_file()]
    if logs:
        raise InputError(
            printable(root),
            f"not a provlytics dataset (no manifest.json) but it holds {len(logs)} log "
            f"{'file' if len(logs) == 1 else 'files'}: read them with pv.load({str(root)!r}), "
            "or write a dataset with pv.load_to_parquet",
        )


def read_parquet(
    path: str | Path,
    *,
    version: int | None = None,
    as_of: datetime | str | None = None,
    since: TimeBound = None,
    until: TimeBound = None,
    columns: Columns = None,
    filters: Filters = None,
) -> ProvisioningFrames:
    """Read a store or a plain dataset written by provlytics into `ProvisioningFrames`.

    The scope is pushed down to the Parquet scan: partitions and row groups outside it are
    never read, nor columns not asked for.

    Args:
        path: the folder.
        version: a store only: the store version to read (`manifest.json`'s
            `store_version` after each load; what a later load replaced is kept for the
            store's retention, 7 days unless `provlytics.store.set_retention` changed it).
        as_of: a store only: the store as it was at this time (datetime or ISO text).
        since: keep events with `activity_time >= since`: a date or time (ISO text, naive
            means UTC), or a duration back from the newest event ("7d", "12h", "30min"),
            as `pv.analysis.filter_frames` takes it.
        until: keep events with `activity_time < until`, same forms.
        columns: a dict table -> columns to read, or a list of events columns; key and time
            columns are always read (e.g. `{"events": ["status"], "steps": []}`).
        filters: conditions on events columns as `pyarrow.parquet.read_table(filters=...)`
            takes them: `[("status", "==", "failure"), ("job_id", "in", ["a", "b"])]` (AND),
            or a list of such lists (OR).

    The steps, modified_properties and errors of the kept events are kept, whatever their
    own times; job_status is read whole (its columns as asked). With `since` or `until`,
    `frames.narrowed` gets the step `pv.analysis.filter_frames` would record (the bounds as
    given, and `since_utc`/`until_utc`, the UTC times they stood for), after a snapshot's
    own steps: so `alerts` and `write_report` answer as on `filter_frames(read_parquet(path),
    since=, until=)`.

    Raises:
        InputError: not a dataset, an unknown version, or a plain dataset of a schema
            version this provlytics cannot read (see `provlytics.upgrade`).
        ConfigError: `version`/`as_of` given for a plain dataset; an unknown table or
            column, a filter pyarrow cannot apply, or a time bound that is not one (naming
            the argument and its value).

    Example:
        >>> failed = pv.read_parquet("store/", since="7d", filters=[("status", "==", "failure")])
    """
    root = Path(path)
    refuse_no_dataset(root)
    scope = {"since": since, "until": until, "columns": columns, "filters": filters}
    if not is_store(root):
        if version is not None or as_of is not None:
            raise ConfigError(f"{root} is a plain Parquet dataset: it has no versions")
        return read_plain(root, **scope)
    tables, _info, (first, last) = read_store(root, version=version, as_of=as_of, **scope)
    manifest = _previous_manifest(root)
    frames = ProvisioningFrames(tables, sources=manifest.get("sources", []))
    frames.pseudonymized = manifest.get("pseudonymized")
    frames.narrowed = narrowed_by(None, since, until, first, last)
    return frames
