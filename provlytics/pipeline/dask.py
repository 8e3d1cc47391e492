"""`load_dask`: the files of a load normalized on an existing Dask cluster, partition by
partition, into `ProvisioningFrames` or a store, exactly as `pv.load` / `pv.load_to_parquet`.

The driver (this process) lists the files and cuts them into partitions
(`pipeline.partitions`); each partition is one task on the cluster, which reads and
normalizes its files and sends back one Arrow record batch per table. The driver takes the
results in file order, at most `in_flight` partitions ahead, and adds them to the frames or
writes them into the store in one transaction, as the in-process load does page by page.

Workers read the paths as the driver names them: on a cluster of several machines give paths
every worker can read (a shared or mounted file system), absolute ones.
`dask.distributed` is imported here only, on first use (`pip install 'provlytics[dask]'`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from provlytics.datasets import dataset_writer
from provlytics.errors import ConfigError
from provlytics.normalize.batch import OnError
from provlytics.pipeline.files import Paths, check_on_error, checked_paths, commit_load
from provlytics.pipeline.partitions import (
    BYTES_PER_PARTITION,
    FILES_PER_PARTITION,
    PartitionTables,
    normalize_partition,
    partition_tasks,
)
from provlytics.progress import progress_bar
from provlytics.sources.files import FileTask, file_tasks
from provlytics.store import LOCK_TIMEOUT
from provlytics.tables import FramesBuilder, ProvisioningFrames

if TYPE_CHECKING:
    from distributed import Client

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_THREAD = 2  # partitions submitted ahead per worker thread of the cluster


@overload
def load_dask(
    paths: Paths,
    *,
    out: None = None,
    client: Client | None = None,
    on_error: OnError = "raise",
    files_per_partition: int = FILES_PER_PARTITION,
    bytes_per_partition: int = BYTES_PER_PARTITION,
    in_flight: int | None = None,
    progress: bool | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> ProvisioningFrames: ...


@overload
def load_dask(
    paths: Paths,
    *,
    out: str | Path,
    client: Client | None = None,
    on_error: OnError = "raise",
    files_per_partition: int = FILES_PER_PARTITION,
    bytes_per_partition: int = BYTES_PER_PARTITION,
    in_flight: int | None = None,
    progress: bool | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> dict[str, Any]: ...


def load_dask(
    paths: Paths,
    *,
    out: str | Path | None = None,
    client: Client | None = None,
    on_error: OnError = "raise",
    files_per_partition: int = FILES_PER_PARTITION,
    bytes_per_partition: int = BYTES_PER_PARTITION,
    in_flight: int | None = None,
    progress: bool | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> ProvisioningFrames | dict[str, Any]:
    """Load files on a Dask cluster: the tables of `pv.load`, or with `out` the store of
    `pv.load_to_parquet`, from the same files.

    Example: `pv.load_dask("/mnt/logs/insights-logs-provisioninglogs/", out="store/",
    client=Client("tcp://scheduler:8786"))`

    Args:
        paths: files, folders, `.zip` archives and globs, as for `pv.load`; the workers read
            them by these paths.
        out: a store folder to write into (one transaction; nothing written on an error);
            None: return `ProvisioningFrames`.
        client: the `distributed.Client` of the cluster; None: the current default client.
        on_error: "raise": the first bad record or unreadable file, in file order, raises
            the `InputError` naming it that `pv.load` raises; "collect": set aside in
            `frames.rejects` (logged, and counted in the manifest, with `out`).
        files_per_partition, bytes_per_partition: a partition (one task on the cluster)
            takes consecutive files up to this count and input size (a larger file is a
            partition alone).
        in_flight: partitions submitted ahead of the one the driver waits for (their
            results wait on the workers until their turn); None: 2 per worker thread.
        progress: show a progress bar of records (None: only in a terminal or notebook).
        lock_timeout: with `out`, seconds to wait for another writer of the store.

    Returns:
        `ProvisioningFrames`, or with `out` the store's manifest (as `pv.load_to_parquet`).

    Raises:
        ConfigError: `paths` of another kind than `pv.load` takes; an `on_error` other than
            "raise" or "collect"; dask.distributed is not installed, or no client is given
            or current.
        InputError: nothing to read; in "raise" mode a bad record or file (see `on_error`).
        StoreBusyError: with `out`, another writer held the store past `lock_timeout`.
    """
    check_on_error(on_error)
    tasks = file_tasks(checked_paths(paths))  # nothing to read: an error before any cluster work
    client = _client(client)
    partitions = partition_tasks(tasks, files=files_per_partition, size=bytes_per_partition)
    ahead = in_flight or IN_FLIGHT_PER_THREAD * max(1, sum(client.nthreads().values()))
    logger.info("%d files in %d partitions, %d in flight", len(tasks), len(partitions), ahead)
    results = _counted(_in_order(client, partitions, on_error, ahead), progress)
    if out is None:
        return _frames(results)
    return _into_store(results, out, lock_timeout)


def _client(client: Client | None) -> Client:
    """The given client, or the current default one."""
    try:
        from distributed import default_client
    except ImportError as exc:
        raise ConfigError(
            f"load_dask needs dask.distributed ({exc}): pip install 'provlytics[dask]'"
        ) from None
    if client is not None:
        return client
    try:
        return default_client()
    except ValueError:
        raise ConfigError(
            "load_dask needs a Dask cluster: pass client=distributed.Client('tcp://host:8786'),"
            " or create a Client first (it becomes the default)"
        ) from None


def _in_order(
    client: Client, partitions: Sequence[list[FileTask]], on_error: OnError, ahead: int
) -> Iterator[PartitionTables]:
    """Each partition's tables, in file order, with at most `ahead` partitions submitted
    and not yet taken, once the warnings reading it gave are said here; an error of a
    partition is raised as the worker raised it, and the partitions after it are
    cancelled."""
    todo = deque(partitions)
    submitted: deque[Any] = deque()
    try:
        while todo or submitted:
            while todo and len(submitted) < ahead:
                submitted.append(
                    client.submit(normalize_partition, todo.popleft(), on_error, pure=False)
                )
            head = submitted.popleft()
            yield head.result().said()
            head.release()
    finally:
        if submitted:
            client.cancel(list(submitted))


def _counted(
    results: Iterator[PartitionTables], progress: bool | None
) -> Iterator[PartitionTables]:
    disable = None if progress is None else not progress
    with progress_bar("Loading on Dask", disable=disable) as bar:
        for result in results:
            bar.update(result.records)
            yield result


def _frames(results: Iterator[PartitionTables]) -> ProvisioningFrames:
    """The frames of `pv.load`: pages added in file order, then de-duplicated."""
    builder = FramesBuilder()
    sources: dict[str, None] = {}
    for result in results:
        sources.update(dict.fromkeys(result.sources))
        if result.logs is not None:
            builder.add(result.logs)
        if result.jobs is not None:
            builder.add_jobs(result.jobs)
    frames = builder.build()
    frames.sources = list(sources)
    logger.info("loaded %s from %d records on Dask", frames, frames.records_read)
    return frames


def _into_store(
    results: Iterator[PartitionTables], out: str | Path, lock_timeout: float
) -> dict[str, Any]:
    """The store of `pv.load_to_parquet`: every partition staged, then one commit."""
    writer = dataset_writer(out, lock_timeout=lock_timeout)
    sources: dict[str, None] = {}
    records = rejected = 0
    try:
        for result in results:
            sources.update(dict.fromkeys(result.sources))
            if result.logs is not None:
                writer.write_page(result.logs)
            if result.jobs is not None:
                writer.write_jobs(result.jobs)
            records += result.records
            rejected += len(result.rejects)
            for reject in result.rejects:
                logger.warning("rejected %s: %s", reject.origin, reject.reason)
    except BaseException:
        writer.abort()
        raise
    return commit_load(writer, sources, records, rejected)
