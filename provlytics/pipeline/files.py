"""`load` and `load_to_parquet`: saved files of any dialect -> the canonical tables (public
as `provlytics.loader`)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from numbers import Integral
from pathlib import Path
from typing import Any

from provlytics.datasets import StoreDatasetWriter, dataset_writer
from provlytics.errors import ConfigError, InputError
from provlytics.manifest_sources import listed_sources, named_sources
from provlytics.normalize.batch import OnError, PageTables, Reject
from provlytics.parquet import read_manifest
from provlytics.pipeline import no_data, route
from provlytics.pipeline.reject_log import RejectLog, warn_set_aside
from provlytics.pipeline.route import NormalizedPage
from provlytics.pipeline.store_workers import FileDone, files_into_store
from provlytics.pipeline.workers import MAX_WORKERS as MAX_WORKERS  # public: loader.MAX_WORKERS
from provlytics.pipeline.workers import normalized_pages
from provlytics.progress import paused_gc, progress_bar
from provlytics.sources.archives import reading_pass
from provlytics.sources.files import FileTask, file_tasks
from provlytics.store import LOCK_TIMEOUT
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

Paths = str | Path | Iterable[str | Path]
ON_ERROR = ("raise", "collect")
MAX_NAMED = 5  # input files named in a load's "no provisioning data" error
PARALLEL_MIN_BYTES = 32 * 2**20  # below this, starting worker processes costs more than it saves


def load(
    paths: Paths,
    *,
    on_error: OnError = "raise",
    progress: bool | None = None,
    workers: int | None = None,
) -> ProvisioningFrames:
    """Load files or folders of provisioning data, any dialect, auto-detected.

    Example: `frames = pv.load("data/samples/"); frames.errors.head()`

    Args:
        paths: files, folders, `.zip` archives and glob patterns (`"exports/*.json"`); folders
            and archives are searched for .json/.jsonl/.ndjson/.csv, gzipped too. Finding
            nothing to read is an `InputError` naming what was searched; anything but a str
            or `os.PathLike` or an iterable of them, a `ConfigError`.
        on_error: "raise" stops at the first bad record or unreadable file with an
            `InputError` naming it; "collect" sets bad records, and files that cannot be read
            (truncated, undecodable, too large), aside in `frames.rejects` with their origin;
            any other value is a `ConfigError`.
        progress: show a progress bar (None: only in a terminal or notebook).
        workers: worker processes normalizing files in parallel (0 or 1: none; anything
            but None or a whole number >= 0 is a `ConfigError`). None: once
            the input passes 32 MB in two files or more, one per core that other programs
            leave spare beside this process (measured for a quarter second as the load
            starts; up to 4), so a busy machine gets none. This process works too while
            they start or are busy, and takes over if they cannot start or die (a warning
            says so). Results keep file order.
    """
    check_on_error(on_error)
    check_workers(workers)
    with reading_pass():  # a .zip archive opened once here, from listing to reading
        tasks = file_tasks(checked_paths(paths))
        frames = route.frames_of(_normalized_pages(tasks, on_error, progress, workers))
    logger.info("loaded %s from %d records", frames, frames.records_read)
    if len(frames.rejects):
        first = frames.rejects.iloc[0]
        warn_set_aside(len(frames.rejects), first["origin"], first["field"], first["reason"])
    return frames


def load_to_parquet(
    paths: Paths,
    out: str | Path,
    *,
    on_error: OnError = "raise",
    progress: bool | None = None,
    workers: int | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> dict[str, Any]:
    """Stream files into a Parquet dataset page by page, in bounded memory.

    `out` is a store (`provlytics.store`: Delta tables, one transaction per load, writers
    serialised by a lock); a folder that holds a plain dataset is merged into as such. The
    store changes only once every input was read: on an error nothing is written. Options
    as for `load`; `lock_timeout`: seconds to wait for another writer of the store before
    `StoreBusyError`. Returns the manifest.
    """
    check_on_error(on_error)
    check_workers(workers)
    with reading_pass():  # as in `load`
        return _load_to_parquet(paths, out, on_error, progress, workers, lock_timeout)


def _load_to_parquet(
    paths: Paths,
    out: str | Path,
    on_error: OnError,
    progress: bool | None,
    workers: int | None,
    lock_timeout: float,
) -> dict[str, Any]:
    # nothing to read: an error before out is made
    tasks = file_tasks(checked_paths(paths), skip=[out])
    writer = dataset_writer(out, lock_timeout=lock_timeout)
    sources: dict[str, None] = {}
    unreadable: dict[str, None] = {}  # files set aside whole (collect mode)
    records = rejected = events = 0
    jobs = False
    rejects = RejectLog()
    try:
        if isinstance(writer, StoreDatasetWriter):
            with closing(_written_files(tasks, on_error, progress, workers, writer)) as files:
                for done in files:
                    sources.update(dict.fromkeys(done.sources))
                    rejects.file_done(done.rejects, done.records)
                    unreadable.update(dict.fromkeys(_files_of(done.rejects)))
                    for batch in done.jobs:
                        writer.write_jobs(batch)
                    records, rejected = records + done.records, rejected + len(done.rejects)
                    events += done.events
                    jobs = jobs or bool(done.jobs)
        else:  # a plain dataset: every page through this process
            for page in _normalized_pages(tasks, on_error, progress, workers):
                sources[page.source] = None
                if isinstance(page.tables, PageTables):
                    unreadable.update(dict.fromkeys(_files_of(page.tables.rejects)))
                    rejects.add(page.tables.rejects)
                read, set_aside = route.write(writer, page)
                records, rejected = records + read, rejected + set_aside
                if isinstance(page.tables, PageTables):
                    events += page.tables.batches["events"].num_rows
                else:
                    jobs = True
        rejects.close()
        if not events and not jobs:
            raise InputError(_named(tasks), _no_events(records, rejected))
    except BaseException:
        writer.abort()
        raise
    return commit_load(writer, sources, records, rejected, rejected_files=unreadable)


def check_on_error(on_error: Any) -> None:
    """Raises ConfigError: `on_error` is not "raise" or "collect" (naming what it got)."""
    if on_error not in ON_ERROR:
        raise ConfigError(
            f'on_error takes {" or ".join(map(repr, ON_ERROR))}; got {on_error!r} ("collect" '
            "sets bad records and unreadable files aside in frames.rejects)"
        )


def check_workers(workers: Any) -> None:
    """Raises ConfigError: `workers` is not None nor a whole number >= 0 (naming what it got)."""
    if workers is None or (
        isinstance(workers, Integral) and not isinstance(workers, bool) and workers >= 0
    ):
        return
    raise ConfigError(
        f"workers takes None (chosen from the spare cores) or a whole number >= 0 (0 or 1: "
        f"read in this process); got {workers!r}"
    )


def checked_paths(paths: Any) -> list[str | Path]:
    """`paths` as a list: one path (str or `os.PathLike`) or an iterable of them.

    Raises:
        ConfigError: `paths`, or one of them, is of another kind (None, a number, bytes),
            naming what it got.
    """
    many = not isinstance(paths, str | os.PathLike) and isinstance(paths, Iterable)
    listed = list(paths) if many and not isinstance(paths, bytes | Mapping) else [paths]
    for path in listed:
        if not isinstance(path, str | os.PathLike):
            raise ConfigError(
                "paths takes files, folders, .zip archives or glob patterns: a str or Path, or "
                f"a list of them; got {path!r}"
            )
    return listed


def _files_of(rejects: Iterable[Reject]) -> list[str]:
    """The files set aside whole among `rejects` (a file's reject carries no record text)."""
    return [reject.origin for reject in rejects if not reject.record]


def _named(tasks: list[FileTask]) -> str:
    """The input files as the errors of a single file name them (`InputFile.name`: as given,
    with their folder), the first `MAX_NAMED` and how many more."""
    names = [task.file.name for task in tasks]
    more = len(names) - MAX_NAMED
    return ", ".join(names[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


def _no_events(records: int, rejected: int) -> str:
    """Why a load has no event to write."""
    if not records and not rejected:
        return (  # records of other Entra logs set aside are not counted (they were warned)
            "no provisioning data: the pages read hold no provisioning log record; nothing "
            "was written"
        )
    if records <= rejected:
        return (
            f"no provisioning data: every record and file read was rejected ({rejected}); "
            "nothing was written"
        )
    read = f"{records} record read" if records == 1 else f"{records} records read"
    aside = f", {rejected} rejected" if rejected else ""
    return (
        f"no provisioning data: {read}{aside}, none of them an event (a provisionOnDemand "
        "response without steps, such as a group's, holds none); nothing was written"
    )


def _normalized_pages(
    tasks: list[FileTask], on_error: OnError, progress: bool | None, workers: int | None
) -> Iterator[NormalizedPage]:
    disable = None if progress is None else not progress
    with paused_gc(), progress_bar("Loading", disable=disable) as bar:
        try:
            for page in normalized_pages(tasks, on_error, _worker_count(tasks, workers)):
                bar.update(page.records)
                yield page
        except InputError as error:  # no provisioning data at all, or a stray bad file?
            no_data.raise_if_none(tasks, error)
            raise


def _written_files(
    tasks: list[FileTask],
    on_error: OnError,
    progress: bool | None,
    workers: int | None,
    writer: StoreDatasetWriter,
) -> Iterator[FileDone]:
    disable = None if progress is None else not progress
    count = _worker_count(tasks, workers)
    written = closing(files_into_store(tasks, on_error, writer.store, count))
    with paused_gc(), progress_bar("Loading", disable=disable) as bar, written as files:
        try:
            for done in files:
                bar.update(done.records)
                yield done
        except InputError as error:  # as in `_normalized_pages`
            no_data.raise_if_none(tasks, error)
            raise


def _worker_count(tasks: list[FileTask], workers: int | None) -> int | None:
    """Worker processes to start: `workers` if given (1: none, so 0); else none for a small
    input or in a frozen executable (PyInstaller and the like start workers by re-running
    the executable, which is only safe if it calls `multiprocessing.freeze_support()`), and
    None otherwise: one per core that other programs leave spare, measured as the load
    starts (`pipeline.workers.spare_cores`)."""
    if workers is None and getattr(sys, "frozen", False):
        logger.info("a frozen executable: reading in this process (pass workers= to change)")
        return 0
    if workers is not None:
        count = max(1, min(workers, len(tasks)))
        return 0 if count == 1 else count
    size = sum(task.file.size for task in tasks)
    if len(tasks) < 2 or size < PARALLEL_MIN_BYTES:
        return 0
    return None


def commit_load(
    writer: Any,
    sources: dict[str, None],
    records: int,
    rejected: int,
    *,
    rejected_files: Iterable[str] = (),
) -> dict[str, Any]:
    """Commit a load's writer (`datasets.dataset_writer`) with what the manifest says of the
    load: its sources (relative to their common folder, a file the dataset lists already
    under its name there, `manifest_sources.named_sources`) and their ids, the records read
    and rejected, and `rejected_files`, the files set aside whole (`--collect-errors`), named
    like the sources.
    Returns the manifest."""
    named = named_sources([*sources, *rejected_files], listed_sources(writer.root))
    info: dict[str, Any] = {
        "sources": named.names[: len(sources)],
        "source_ids": {n: named.ids[n] for n in named.names[: len(sources)] if n in named.ids},
        "records_read": records,
        "records_rejected": rejected,
    }
    if named.names[len(sources) :]:
        info["rejected_files"] = named.names[len(sources) :]
    manifest_path = writer.commit(info)
    logger.info("wrote %s", manifest_path)
    return read_manifest(manifest_path.parent)
