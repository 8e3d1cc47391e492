"""`load` and `load_to_parquet`: saved files of any dialect -> the canonical tables."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from provlytics.normalize.batch import OnError, PageTables, normalize_page
from provlytics.normalize.jobs import build_job_batch
from provlytics.origin import Page
from provlytics.parquet import DatasetWriter, read_manifest
from provlytics.progress import paused_gc, progress_bar
from provlytics.sources.files import KIND_JOBS, iter_file_pages
from provlytics.tables import FramesBuilder, ProvisioningFrames

logger = logging.getLogger(__name__)

Paths = str | Path | Iterable[str | Path]


def load(
    paths: Paths, *, on_error: OnError = "raise", progress: bool | None = None
) -> ProvisioningFrames:
    """Load files or folders of provisioning data, any dialect, auto-detected.

    Example: `frames = pv.load("data/samples/"); frames.errors.head()`

    Args:
        paths: files and folders (folders are searched for .json/.jsonl/.ndjson/.csv, gzipped too).
        on_error: "raise" stops at the first bad record with an `InputError` naming it;
            "collect" sets bad records aside in `frames.rejects` with their origin.
        progress: show a progress bar (None: only in a terminal or notebook).
    """
    builder = FramesBuilder()
    for page, result in _normalized_pages(paths, on_error, progress):
        if isinstance(result, PageTables):
            builder.add(result, page.origin.source)
        else:
            builder.add_jobs(result, page.origin.source)
    frames = builder.build()
    logger.info("loaded %s from %d records", frames, frames.records_read)
    return frames


def load_to_parquet(
    paths: Paths, out: str | Path, *, on_error: OnError = "raise", progress: bool | None = None
) -> dict[str, Any]:
    """Stream files into a Parquet dataset page by page, in bounded memory.

    The dataset changes only once every input was read: on an error nothing is written.
    Returns the manifest.
    """
    writer = DatasetWriter(out)
    sources: dict[str, None] = {}
    records = rejected = 0
    try:
        for page, result in _normalized_pages(paths, on_error, progress):
            sources[page.origin.source] = None
            if isinstance(result, PageTables):
                writer.write_page(result)
                records += result.records
                rejected += len(result.rejects)
                for reject in result.rejects:
                    logger.warning("rejected %s: %s", reject.origin, reject.reason)
            else:
                writer.write_jobs(result)
    except BaseException:
        writer.abort()
        raise
    info = {"sources": list(sources), "records_read": records, "records_rejected": rejected}
    manifest_path = writer.commit(info)
    logger.info("wrote %s", manifest_path)
    return read_manifest(manifest_path.parent)


def _normalized_pages(
    paths: Paths, on_error: OnError, progress: bool | None
) -> Iterator[tuple[Page, PageTables | pa.RecordBatch]]:
    disable = None if progress is None else not progress
    with paused_gc(), progress_bar("Loading", disable=disable) as bar:
        for page in iter_file_pages(paths):
            if page.meta.get("kind") == KIND_JOBS:
                yield (
                    page,
                    build_job_batch(
                        page.records,
                        observed_time=page.meta["observed_time"],
                        service_principal_id=page.meta.get("service_principal_id"),
                        origin=page.origin,
                    ),
                )
            else:
                yield page, normalize_page(page, on_error=on_error)
            bar.update(len(page.records))
