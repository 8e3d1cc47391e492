"""Pages and where they came from: what a source hands the pipeline, and what errors name.

A `Page` is one unit of input as a source read it: the JSON text of a page (`data`), the
records already parsed (`records`) or a CSV page's Arrow columns (`table`, a `CsvRows`),
with a typed `Origin` (what kind of place, which file or URL, which page), a `Container`
hint (the shape around the records, when the records alone cannot tell), and for pages that
may hold synchronization jobs a `JobContext`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # not imported here: `--help` and the CLI's light paths import no Arrow
    import numpy as np
    import pyarrow as pa


class Place(StrEnum):
    """The kind of place a page was read from."""

    FILE = "file"  # a saved file (or a member of a zip archive)
    GRAPH = "graph"  # a live Graph response page
    SPOOL = "spool"  # a Graph page replayed from a fetch's spool folder
    ON_DEMAND = "on_demand"  # a provisionOnDemand response (live, saved or given as text)
    JOBS = "jobs"  # a synchronization jobs call (`GET .../synchronization/jobs[/{id}]`)


class Container(StrEnum):
    """The shape around a page's records, as the source knows it from the file or call."""

    GRAPH_PAGE = "graph_page"  # a Graph collection page `{"value": [...]}` (or its value array)
    JSON_ARRAY = "json_array"  # a bare JSON array file (the portal's JSON download)
    JSON_LINES = "json_lines"  # one JSON record per line (NDJSON, a diagnostic PT1H.json)
    EVENT_HUB_BATCH = "event_hub_batch"  # `{"records": [...]}` (diagnostic settings, Event Hub)
    LOG_ANALYTICS_TABLE = "log_analytics_table"  # the rows of a Log Analytics query result
    PORTAL_CSV = "portal_csv"  # rows joined from the portal's three CSV files
    CSV = "csv"  # rows of another CSV export (Log Analytics, PowerShell `Export-Csv`)
    RECORD = "record"  # a file holding one record object (a diagnostic record, a job)
    ON_DEMAND_RESPONSE = "on_demand_response"  # the response of one provisionOnDemand call
    JOB_LIST = "job_list"  # synchronizationJob objects from a jobs call


# The portal CSV container: the join column of its three files, the keys under which a
# joined row carries its steps' and modified properties' rows, and the key under which each
# of those rows carries where it is (`FILE:LINE` of its companion file, for messages).
PORTAL_JOIN_COLUMN = "changeid"
PORTAL_STEPS_KEY = "@steps"
PORTAL_PROPERTIES_KEY = "@properties"
PORTAL_AT_KEY = "@at"


@functools.lru_cache(maxsize=4096)  # a file has a few headers, each met on every row
def fold_header(header: str) -> str:
    """`Date (UTC)` -> `dateutc`: how CSV headers are matched, whatever their spelling."""
    return re.sub(r"[^0-9a-z]", "", header.lower())


@dataclass(frozen=True, slots=True)
class Origin:
    """A place in a source: a file path or URL, and optionally a page, line and record, each
    numbered as a person counts them, from 1: `line` 1 is a file's first line, `page` 1 a
    Graph call's first page, `record` 1 the first record of its file, page or array (the code
    that walks records by their 0-based index adds 1: `Page.record_origin`). `str()` gives
    them as errors name a place, `FILE:LINE: page P: record R`.

    `place` says what kind of place `source` is (None: not said, e.g. a response's URL in an
    error message); origins naming the same source, page, line and record are equal whatever
    their `place`.
    """

    source: str
    page: int | None = None
    line: int | None = None
    record: int | None = None
    place: Place | None = field(default=None, compare=False)

    def at(self, **changes: int | None) -> Origin:
        """This origin narrowed to a page, line or record (numbers counted from 1)."""
        return replace(self, **changes)

    def __str__(self) -> str:
        text = self.source
        if self.line is not None:
            text += f":{self.line}"
        if self.page is not None:
            text += f": page {self.page}"
        if self.record is not None:
            text += f": record {self.record}"
        return text


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a page of synchronization jobs does not say itself.

    `observed_time`: when the jobs were seen (the call's time; a saved file's modification
    time); `service_principal_id`: their owner (the call's, or the one named in the saved
    page's `@odata.context`); `from_status`: observe each job at the newest time its status
    records (saved lists, whose file time changes with every copy).
    """

    observed_time: datetime
    service_principal_id: str | None = None
    from_status: bool = False


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a Graph page was requested (`url`, query included), its `@odata.nextLink`, and
    how many records its `value` holds (when the source counted them)."""

    url: str
    next_link: str | None = None
    records: int | None = None


@dataclass(frozen=True, slots=True)
class CsvChildren:
    """The rows of a portal companion file (steps, or modified properties) that belong to
    the rows of a page: `rows` as Arrow read them (one `string` column per header of the
    companion, in its order; an empty cell is ""), and `parents`, the index in the page of
    the row each belongs to (ascending; one row's children in the companion file's order);
    `source` and `lines`: the companion file's name and the line each row ends on."""

    rows: pa.RecordBatch
    parents: np.ndarray  # int64, one per child
    source: str = ""
    lines: np.ndarray | None = None  # int64, one per child

    def lists(self, count: int) -> list[list[dict[str, str | None]]]:
        """Each of `count` page rows' children as the `csv` module's rows (empty cells
        None, where each is under `PORTAL_AT_KEY`), the shape `PORTAL_STEPS_KEY` and
        `PORTAL_PROPERTIES_KEY` hold."""
        lists: list[list[dict[str, str | None]]] = [[] for _ in range(count)]
        children = _dicts(self.rows)
        if self.lines is not None:
            for child, line in zip(children, self.lines.tolist(), strict=True):
                child[PORTAL_AT_KEY] = f"{self.source}:{line}"
        for parent, child in zip(self.parents.tolist(), children, strict=True):
            lists[parent].append(child)
        return lists


@dataclass(frozen=True, slots=True)
class CsvRows:
    """A page of CSV rows as Arrow's CSV reader read them: `rows`, one `string` column per
    header, in the file's order (an empty cell is "", never null). For a portal download
    (`Container.PORTAL_CSV`), `steps` and `properties` are the rows of its companions joined
    to these rows on the change ID (none where a companion file is missing); for any other
    CSV, both are None."""

    rows: pa.RecordBatch
    steps: CsvChildren | None = None
    properties: CsvChildren | None = None

    def records(self) -> list[dict[str, Any]]:
        """The rows as the `csv` module's rows (empty cells None), a portal row with its
        companions' rows under `PORTAL_STEPS_KEY` and `PORTAL_PROPERTIES_KEY`: the records
        the general path reads."""
        records = _dicts(self.rows)
        if self.steps is None or self.properties is None:
            return records
        n = len(records)
        for record, steps, properties in zip(
            records, self.steps.lists(n), self.properties.lists(n), strict=True
        ):
            record[PORTAL_STEPS_KEY] = steps
            record[PORTAL_PROPERTIES_KEY] = properties
        return records


def _dicts(batch: pa.RecordBatch) -> list[dict[str, str | None]]:
    """A batch's rows as dicts by header, "" as None."""
    names = batch.schema.names
    columns = [[cell or None for cell in column.to_pylist()] for column in batch.columns]
    return [dict(zip(names, cells, strict=True)) for cells in zip(*columns, strict=True)]


@dataclass(slots=True)
class Page:
    """One page of input: its JSON text as read (`data`), its parsed `records`, or the Arrow
    columns of its CSV rows (`table`); exactly one of them.

    `data` is the UTF-8 JSON text of a whole page (a Graph page, a JSON array), or for
    `Container.JSON_LINES` its lines (each UTF-8 `bytes` as a file source reads them, or
    `str`, without or with its line end; an `UnparsedRecord` for a line that could not be
    read). `table` is set only for `Container.CSV` and `Container.PORTAL_CSV` (whose rows
    may also come as `records`, from the `csv` module). `lines` (one per record) is set for
    line-oriented input; `first_record` is the 0-based index of the page's first record in
    its file.
    """

    origin: Origin
    container: Container
    data: bytes | list[bytes | str | UnparsedRecord] | None = None
    records: list[Any] | None = None
    lines: list[int] | None = None
    first_record: int = 0
    jobs: JobContext | None = None
    paging: Paging | None = None
    table: CsvRows | None = None

    def __post_init__(self) -> None:
        held = (self.data is not None) + (self.records is not None) + (self.table is not None)
        if held != 1:
            raise ValueError("a page holds either its data, its records or its table")

    def record_origin(self, index: int) -> Origin:
        """The origin of the record at 0-based `index` in this page: its record number in
        its file, counted from 1."""
        record = self.first_record + index + 1
        if self.lines is not None:
            return self.origin.at(line=self.lines[index], record=record)
        return self.origin.at(record=record)


def utf8_text(data: bytes) -> bool:
    """Whether `data` is UTF-8 text, as `Page.data` must be (Arrow's validation: one
    vectorised pass, ~10x faster than `bytes.decode` on text that is not all ASCII)."""
    import numpy as np  # not at import: the ground floor stays light for `--help`
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


@dataclass(frozen=True, slots=True)
class UnparsedRecord:
    """A record a source could not parse (e.g. a bad NDJSON line).

    Sources pass it on instead of raising, so that the normalizer reports it like any other
    bad record: raised with its origin, or set aside in collect mode.
    """

    text: str
    reason: str

    def __str__(self) -> str:
        return self.text
