"""CSV files: the portal's three-file download (joined on change ID) and Log Analytics exports.

The portal writes `ProvisioningLogs*.csv` with two companions whose names end in
`_ProvisioningSteps.csv` and `_ModifiedProperties.csv`; their rows are attached to the event
row with the same change ID (which companions go with which main file is
`sources.portal_pairs`' business). Headers are matched by the normalizer, whatever their
spelling.

Files are read by Arrow's streaming CSV reader (`sources.csv_arrow`, every column as text,
in blocks) into pages of Arrow columns (`Page.table`, the companions' rows joined with
Arrow's kernels, `sources.portal_join`): the rows the `csv` module gives, with the same line
numbers. From the first block Arrow does not read as the `csv` module does, the `csv` module
reads the rest of the file into pages of rows, and names what is wrong with it.
"""

from __future__ import annotations

import csv
import itertools
import logging
import sys
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.errors import InputError
from provlytics.origin import (
    PORTAL_AT_KEY,
    PORTAL_JOIN_COLUMN,
    PORTAL_PROPERTIES_KEY,
    PORTAL_STEPS_KEY,
    Container,
    CsvRows,
    Origin,
    Page,
    Place,
)
from provlytics.origin import fold_header as normalize_header
from provlytics.sources import csv_arrow
from provlytics.sources.portal_join import Joined, join_columns
from provlytics.sources.reading import STREAM_ERRORS, InputFile, open_text
from provlytics.user_warnings import warn_load

logger = logging.getLogger(__name__)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # step details can be large

Companions = tuple[InputFile | None, InputFile | None]  # (steps file, properties file)


def iter_csv_pages(
    file: InputFile, companions: Companions, *, portal: bool, page_size: int
) -> Iterator[Page]:
    """Pages of CSV rows: as Arrow columns (`Page.table`) where Arrow reads the files as the
    `csv` module does, else as the `csv` module's rows (`Page.records`, empty cells None);
    portal rows carry their steps and properties (none when a companion file is missing,
    which is logged).

    Raises:
        InputError: a file that is not CSV, a row with more or fewer cells than headers, a
            portal row without a change ID, companion rows whose change ID no row has (naming
            the file and line).
    """
    steps_file, props_file = companions
    joined: tuple[Joined, Joined] | None = None
    if portal:
        for kind, found in (("ProvisioningSteps", steps_file), ("ModifiedProperties", props_file)):
            if found is None:
                warn_load(
                    logger, f"{file}: its {kind} file was not found; its events load without them"
                )
        joined = _joined(steps_file, props_file)
        if joined is None:
            yield from _record_pages(file, companions, portal=True, page_size=page_size)
            return
    done = 0
    try:
        for batch, lines in csv_arrow.pages(file, page_size):
            yield _table_page(file, batch, lines, done, joined)
            done += batch.num_rows
    except csv_arrow.Unplain as exc:
        logger.debug("%s: read by the csv module from row %d (%s)", file, done + 1, exc)
        taken = joined[0].taken_ids() | joined[1].taken_ids() if joined else set()
        yield from _record_pages(
            file, companions, portal=portal, page_size=page_size, skip=done, taken=taken
        )
        return
    if joined is not None:
        for companion in joined:
            companion.check_orphans(file)


def _table_page(
    file: InputFile,
    batch: pa.RecordBatch,
    lines: np.ndarray,
    first: int,
    joined: tuple[Joined, Joined] | None,
) -> Page:
    origin = Origin(file.name, place=Place.FILE)
    numbers = lines.tolist()
    if joined is None:
        table = CsvRows(batch)
    else:
        changes = _page_changes(file, batch, numbers)
        table = CsvRows(batch, joined[0].take(changes), joined[1].take(changes))
    container = Container.CSV if joined is None else Container.PORTAL_CSV
    return Page(origin, container, table=table, lines=numbers, first_record=first)


def _page_changes(file: InputFile, batch: pa.RecordBatch, lines: list[int]) -> pa.Array:
    """The change ID of each row of a portal page.

    Raises:
        csv_arrow.Unplain: the file has several change ID headers (the `csv` module's rows
            are read for the first one holding a value).
        InputError: a row without a change ID (naming its line).
    """
    at = join_columns(batch.schema.names)
    if len(at) != 1:
        raise csv_arrow.Unplain("not one change ID header")
    changes = batch.column(at[0])
    missing = np.flatnonzero(pc.equal(pc.binary_length(changes), 0).to_numpy(False))
    if len(missing):
        where = Origin(file.name, line=lines[int(missing[0])])
        raise InputError(where, "is missing", field="Change Id")
    return changes


def _joined(steps: InputFile | None, properties: InputFile | None) -> tuple[Joined, Joined] | None:
    """Both companions read by Arrow and grouped by change ID (an empty one for a missing
    file); None if either must be read by the `csv` module."""
    found = [Joined.read(f) if f is not None else Joined.empty() for f in (steps, properties)]
    if found[0] is None or found[1] is None:
        return None
    return found[0], found[1]


def _record_pages(
    file: InputFile,
    companions: Companions,
    *,
    portal: bool,
    page_size: int,
    skip: int = 0,
    taken: AbstractSet[str] = frozenset(),
) -> Iterator[Page]:
    """`iter_csv_pages` through the `csv` module, from row `skip` on; `taken`: the change
    IDs whose companion rows went with the rows before it."""
    steps_file, props_file = companions
    steps = _children_by_change(steps_file) if portal and steps_file else {}
    props = _children_by_change(props_file) if portal and props_file else {}
    for change in taken:
        steps.pop(change, None)
        props.pop(change, None)
    origin = Origin(file.name, place=Place.FILE)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    first = skip
    rows = _csv_rows(file, skip=skip) if skip else _rows(file)
    for line, row in rows:
        if portal:
            change = _change_id(row, file, line)
            row[PORTAL_STEPS_KEY] = steps.pop(change, [])
            row[PORTAL_PROPERTIES_KEY] = props.pop(change, [])
        records.append(row)
        lines.append(line)
        if len(records) == page_size:
            yield _page(records, origin, lines, first, portal)
            first += len(records)
            records, lines = [], []
    if records:
        yield _page(records, origin, lines, first, portal)
    for change, orphans in (*steps.items(), *props.items()):
        raise InputError(
            orphans[0][PORTAL_AT_KEY],
            f"{len(orphans)} rows for change ID {change!r}, which {file.name} lacks",
        )


def _page(records: list, origin: Origin, lines: list[int], first: int, portal: bool) -> Page:
    container = Container.PORTAL_CSV if portal else Container.CSV
    return Page(origin, container, records=records, lines=lines, first_record=first)


def _rows(file: InputFile) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of each row: empty cells None, as `csv.DictReader` reads them
    (Arrow reads the file while it can, the `csv` module the rest)."""
    done = 0
    try:
        for batch, lines in csv_arrow.batches(file):
            yield from zip(lines.tolist(), CsvRows(batch).records(), strict=True)
            done += batch.num_rows
    except csv_arrow.Unplain:
        yield from _csv_rows(file, skip=done)


def _csv_rows(file: InputFile, *, skip: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """`_rows` through the `csv` module, from row `skip` on: any file, and what is wrong
    with it named."""
    try:
        with open_text(file) as handle:
            first = handle.readline()  # Windows PowerShell's Export-Csv: `#TYPE <class>` first
            skipped = 1 if first.startswith("#TYPE") else 0
            reader = csv.DictReader(itertools.chain([] if skipped else [first], handle))
            if not reader.fieldnames:
                raise InputError(file.name, "the CSV file has no header row")
            _check_separator(file, reader.fieldnames)
            for row in itertools.islice(reader, skip, None):
                line = reader.line_num + skipped
                if None in row:
                    raise InputError(Origin(file.name, line=line), "more cells than headers")
                if None in row.values():  # `DictReader`'s filling of a short row
                    cells = sum(value is not None for value in row.values())
                    reason = f"fewer cells than headers ({cells} of {len(row)})"
                    raise InputError(Origin(file.name, line=line), reason)
                yield line, {k: (v if v != "" else None) for k, v in row.items()}
    except (csv.Error, UnicodeDecodeError, *STREAM_ERRORS) as exc:
        raise InputError(file.name, f"not a readable CSV file ({exc})") from exc


def _check_separator(file: InputFile, headers: Sequence[str]) -> None:
    """Raises InputError: the header row holds ';' or tabs and no comma (Excel's "CSV" in
    many locales, its "Unicode text"), naming the separator and what to do."""
    if len(headers) != 1:
        return
    separators = [name for sign, name in ((";", "';'"), ("\t", "tabs")) if sign in headers[0]]
    if separators:
        raise InputError(
            file.name,
            f"separated by {' and '.join(separators)}, not commas: re-export as CSV "
            "(comma delimited)",
        )


def _children_by_change(file: InputFile) -> dict[str, list[dict[str, Any]]]:
    children: dict[str, list[dict[str, Any]]] = {}
    join: list[str] | None = None
    for line, row in _rows(file):
        if join is None:  # the one header that holds the change ID, if only one may
            join = [h for h in row if normalize_header(h) == PORTAL_JOIN_COLUMN]
        change = row[join[0]] if len(join) == 1 else None
        if not change:
            change = _change_id(row, file, line)  # raises, or finds it under another
        row[PORTAL_AT_KEY] = f"{file.name}:{line}"
        if change in children:
            children[change].append(row)
        else:
            children[change] = [row]
    return children


def _change_id(row: dict[str, Any], file: InputFile, line: int) -> str:
    for header, value in row.items():
        if value and normalize_header(header) == PORTAL_JOIN_COLUMN:
            return value
    raise InputError(Origin(file.name, line=line), "is missing", field="Change Id")


def change_ids(file: InputFile) -> set[str]:
    """The change IDs of a portal file (main file or companion).

    Raises:
        InputError: the file cannot be read as CSV, a row without a change ID.
    """
    return {_change_id(row, file, line) for line, row in _rows(file)}
