"""CSV files: the portal's three-file download (joined on change ID) and Log Analytics exports.

The portal writes `ProvisioningLogs*.csv` with two companions whose names end in
`_ProvisioningSteps.csv` and `_ModifiedProperties.csv`; their rows are attached to the event
row with the same change ID. Which file is which is told by its header row (a browser renames
a second download `ProvisioningLogs (1).csv`); a companion goes with the main file of the same
folder (or archive) whose name it extends, or, when that is ambiguous, with the one sharing
its change IDs. Headers are matched by the normalizer, whatever their spelling.

Files are read by Arrow's streaming CSV reader (`sources.csv_arrow`, every column as text,
in blocks) into pages of Arrow columns (`Page.table`, the companions' rows joined with
Arrow's kernels, `sources.portal_join`): the rows the `csv` module gives, with the same line
numbers. From the first block Arrow does not read as the `csv` module does, the `csv` module
reads the rest of the file into pages of rows, and names what is wrong with it.
"""

from __future__ import annotations

import csv
import functools
import itertools
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.errors import InputError
from provlytics.origin import (
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
from provlytics.sources.reading import InputFile, data_suffix, open_text

logger = logging.getLogger(__name__)

MAIN, STEPS, PROPERTIES = "main", "steps", "properties"
_SUFFIXES = {STEPS: "_provisioningsteps", PROPERTIES: "_modifiedproperties"}
_COPY_NUMBER = re.compile(r"\s*\(\d+\)$")  # "name (1)": a browser's second download
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # step details can be large

Companions = tuple[InputFile | None, InputFile | None]
# columns of other CSV exports that also carry a change id: Log Analytics, PowerShell's Export-Csv
_NOT_PORTAL = frozenset(
    {"timegenerated", "aadtenantid", "additionalproperties", "provisioningstatusinfo"}
)


@dataclass
class CompanionGroups:
    """Which files are companions, the companions of each main file, and the portal mains."""

    companions: set[InputFile] = field(default_factory=set)
    by_main: dict[InputFile, Companions] = field(default_factory=dict)
    mains: set[InputFile] = field(default_factory=set)
    refused: dict[InputFile, InputError] = field(default_factory=dict)  # unpaired companions

    def of(self, main: InputFile) -> Companions:
        """(steps file, properties file) of a main file; (None, None) if it has none."""
        return self.by_main.get(main, (None, None))


def group_companions(files: list[InputFile]) -> CompanionGroups:
    """Tell portal main files and companions apart by their headers, and pair them.

    A companion with no main file to go with, or a second one of its kind for one main, is
    put in `refused` with the `InputError` its reading raises (or collect mode sets aside).
    """
    groups = CompanionGroups()
    roles = {f: _role(f) for f in files if data_suffix(f) == ".csv"}
    groups.mains = {f for f, role in roles.items() if role == MAIN}
    for companion, role in sorted(roles.items(), key=lambda item: _is_copy(item[0])):
        if role not in _SUFFIXES:
            continue
        taken = {m for m, pair in groups.by_main.items() if pair[role == PROPERTIES]}
        try:
            main = _main_of(companion, role, groups.mains, taken)
        except InputError as error:
            groups.refused[companion] = error
            continue
        steps, props = groups.of(main)
        other = steps if role == STEPS else props
        if other is not None:
            reason = f"a second {role} file for {main.name} ({other})"
            groups.refused[companion] = InputError(companion.name, reason)
            continue
        groups.by_main[main] = (companion, props) if role == STEPS else (steps, companion)
        groups.companions.add(companion)
    return groups


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
                logger.warning(
                    "%s: its %s file was not found; its events load without them", file, kind
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
        source = steps_file if change in steps else props_file
        raise InputError(
            str(source), f"{len(orphans)} rows for change ID {change!r}, which {file.name} lacks"
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
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
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
            join = [h for h in row if _folded(h) == PORTAL_JOIN_COLUMN]
        change = row[join[0]] if len(join) == 1 else None
        if not change:
            change = _change_id(row, file, line)  # raises, or finds it under another
        if change in children:
            children[change].append(row)
        else:
            children[change] = [row]
    return children


def _change_id(row: dict[str, Any], file: InputFile, line: int) -> str:
    for header, value in row.items():
        if value and _folded(header) == PORTAL_JOIN_COLUMN:
            return value
    raise InputError(Origin(file.name, line=line), "is missing", field="Change Id")


_folded = functools.lru_cache(maxsize=4096)(normalize_header)  # a header, once per file


def _role(file: InputFile) -> str | None:
    """MAIN, STEPS or PROPERTIES for a file of the portal download, told by its header row;
    None for any other CSV (a Log Analytics export, say) or one whose header cannot be read
    (reading it reports why)."""
    try:
        with open_text(file) as handle:
            header = next(csv.reader(handle), [])
    except (csv.Error, UnicodeDecodeError, InputError):
        return None
    columns = {normalize_header(h) for h in header}
    if PORTAL_JOIN_COLUMN not in columns:
        return None
    if "stepnumber" in columns:
        return STEPS
    if columns & {"oldvalue", "newvalue"}:
        return PROPERTIES
    if columns & _NOT_PORTAL:
        return None
    return MAIN


def _main_of(
    companion: InputFile, role: str, mains: set[InputFile], taken: set[InputFile]
) -> InputFile:
    """The main file a companion belongs to: by name in its folder, else by change IDs
    (between equal shares, one that has no companion of this kind yet: the same download
    saved twice pairs up twice)."""
    near = [m for m in mains if _folder(m) == _folder(companion)]
    base = _stem(companion).removesuffix(_SUFFIXES[role])
    by_name = [m for m in near if _stem(m) == base]
    if len(by_name) == 1:
        return by_name[0]
    candidates = near or list(mains)
    if candidates:
        ids = set(_children_by_change(companion))
        overlap = {m: len(ids & _change_ids(m)) for m in sorted(candidates, key=str)}
        best = max(overlap, key=lambda m: (overlap[m], m not in taken))
        if overlap[best]:
            return best
    raise InputError(companion.name, "a portal companion file without its ProvisioningLogs file")


def _change_ids(main: InputFile) -> set[str]:
    return {_change_id(row, main, line) for line, row in _rows(main)}


def _folder(file: InputFile) -> tuple[str, str]:
    if file.member is None:
        return (str(file.path.parent), "")
    return (str(file.path), str(file.member).rpartition("/")[0])


def _is_copy(file: InputFile) -> bool:
    """Whether a browser numbered the file (`name (1).csv`): the unnumbered pair first."""
    name = file.file_name.lower().removesuffix(".gz").removesuffix(".csv")
    return _COPY_NUMBER.search(name) is not None


def _stem(file: InputFile) -> str:
    """Lower-case name without `.csv(.gz)` and a browser's ` (n)`, for pairing companions."""
    name = file.file_name.lower().removesuffix(".gz").removesuffix(".csv")
    return _COPY_NUMBER.sub("", name)
