"""The one place a page becomes tables, and the two places tables go: frames or a store."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from provlytics.errors import InputError
from provlytics.normalize import pages as normalizer
from provlytics.normalize.batch import OnError, PageTables, Reject
from provlytics.normalize.given_up import GivenUpTally, warn_given_up
from provlytics.origin import Page
from provlytics.sources.files import FileTask, iter_task_pages
from provlytics.user_warnings import warn_load

if TYPE_CHECKING:
    from provlytics.datasets import StoreDatasetWriter
    from provlytics.parquet import DatasetWriter
    from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)


class NormalizedPage(NamedTuple):
    """What a page became: where it came from (`Origin.source`), its record count, and its
    tables (`PageTables`; a page of jobs gives a `job_status` batch)."""

    source: str
    records: int
    tables: PageTables | pa.RecordBatch


def page_tables(
    page: Page, *, on_error: OnError = "raise", given_up: GivenUpTally | None = None
) -> NormalizedPage:
    """One page, from any source, to its tables through the normalizer's one entry. The
    fields it gave up (their values kept in `extra`) are warned, or counted in `given_up`
    for the caller to warn (`given_up.GivenUpTally`).

    Raises:
        InputError: a bad record (on_error="raise") or unreadable page text, naming it.
    """
    tables = normalizer.normalize(page, on_error=on_error)
    if isinstance(tables, PageTables) and given_up is not None:
        given_up.add(tables.given_up)
    elif isinstance(tables, PageTables):
        warn_given_up(tables.given_up)
    records = tables.records if isinstance(tables, PageTables) else tables.num_rows
    return NormalizedPage(page.origin.source, records, tables)


def file_tables(task: FileTask, on_error: OnError) -> Iterator[NormalizedPage]:
    """A file's pages, normalized; in collect mode a file that cannot be read (or read on)
    becomes a reject naming it, after the pages read before the failure. Once the file is
    read, the fields its pages gave up are warned, per field (`given_up.GivenUpTally`), and
    the diagnostic records of other Entra logs it held (`PageTables.other_logs`) once
    (`warn_other_logs`)."""
    given_up = GivenUpTally()
    other_logs: Counter[str] = Counter()
    records = 0
    try:
        try:
            for page in iter_task_pages(task):
                normalized = page_tables(page, on_error=on_error, given_up=given_up)
                if isinstance(normalized.tables, PageTables):
                    other_logs.update(normalized.tables.other_logs)
                records += normalized.records
                yield normalized
        except MemoryError:
            raise InputError(task.file.name, "too large to normalize in memory") from None
        given_up.warn()
    except InputError as error:
        if on_error == "raise":
            raise
        given_up.warn()
        empty = PageTables.empty()
        reject = Reject(str(error.origin or task.file.name), error.field, error.reason, "")
        empty.rejects.append(reject)
        yield NormalizedPage(task.file.name, 0, empty)
    if other_logs:
        warn_other_logs(task, other_logs, alone=records == 0)


def warn_other_logs(task: FileTask, categories: dict[str, int], *, alone: bool) -> None:
    """Warn the diagnostic records of other Entra logs set aside in a file, counted by
    category in the order first met: "PT1H.json: 120 records of category AuditLogs and 3
    of SignInLogs skipped: not provisioning logs"; or, `alone` (the file held nothing
    else), as a file of other logs is skipped (`sources.files.file_tasks`): "skipping
    PT1H.json: it holds 120 records of category AuditLogs, not provisioning logs"."""
    (first, count), *rest = categories.items()
    counts = [f"{count} {'record' if count == 1 else 'records'} of category {first}"]
    counts += [f"{n} of {category}" for category, n in rest]
    named = counts[0] if len(counts) == 1 else f"{', '.join(counts[:-1])} and {counts[-1]}"
    if alone:
        warn_load(logger, f"skipping {task.file}: it holds {named}, not provisioning logs")
    else:
        warn_load(logger, f"{task.file}: {named} skipped: not provisioning logs")


def frames_of(pages: Iterable[NormalizedPage]) -> ProvisioningFrames:
    """Normalized pages as frames, de-duplicated (the last copy of an event wins, with its
    own children; `tables.FramesBuilder`)."""
    from provlytics.tables import FramesBuilder  # pandas: not for worker processes

    builder = FramesBuilder()
    for page in pages:
        if isinstance(page.tables, PageTables):
            builder.add(page.tables, page.source)
        else:
            builder.add_jobs(page.tables, page.source)
    return builder.build()


def write(writer: StoreDatasetWriter | DatasetWriter, page: NormalizedPage) -> tuple[int, int]:
    """Write a normalized page into a store (or dataset) being written; the log records it
    read and rejected (none for a page of jobs; the caller warns the rejects)."""
    if not isinstance(page.tables, PageTables):
        writer.write_jobs(page.tables)
        return 0, 0
    writer.write_page(page.tables)
    return page.tables.records, len(page.tables.rejects)
