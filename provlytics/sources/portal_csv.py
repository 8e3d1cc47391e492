"""CSV files: the portal's three-file download (joined on change ID) and Log Analytics exports.

The portal writes `ProvisioningLogs*.csv` with two companions whose names end in
`_ProvisioningSteps.csv` and `_ModifiedProperties.csv`; their rows are attached to the event
row with the same change ID. Which file is which is told by its header row (a browser renames
a second download `ProvisioningLogs (1).csv`); a companion goes with the main file of the same
folder (or archive) whose name it extends, or, when that is ambiguous, with the one sharing
its change IDs. Headers are matched by the normalizer, whatever their spelling.

A file is parsed by Arrow's CSV reader (`pyarrow.csv`, every column as text) when its rows
are plain (one line each, as many cells as headers, UTF-8): the rows are then those the
`csv` module gives, with the same line numbers; any other file is read by the `csv` module,
which also names what is wrong with it.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from provlytics.errors import InputError
from provlytics.origin import (
    PORTAL_JOIN_COLUMN,
    PORTAL_PROPERTIES_KEY,
    PORTAL_STEPS_KEY,
    Container,
    Origin,
    Page,
    Place,
)
from provlytics.origin import fold_header as normalize_header
from provlytics.sources.reading import InputFile, data_suffix, open_text, read_bytes

logger = logging.getLogger(__name__)

MAIN, STEPS, PROPERTIES = "main", "steps", "properties"
_SUFFIXES = {STEPS: "_provisioningsteps", PROPERTIES: "_modifiedproperties"}
_COPY_NUMBER = re.compile(r"\s*\(\d+\)$")  # "name (1)": a browser's second download
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # step details can be large
ARROW_MAX_BYTES = 64 * 2**20  # larger files (as stored) stream through the `csv` module
_CHUNK_ROWS = 1000

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
    """Pages of CSV rows; portal rows carry their steps and properties (none when a companion
    file is missing, which is logged)."""
    steps_file, props_file = companions
    if portal:
        for kind, found in (("ProvisioningSteps", steps_file), ("ModifiedProperties", props_file)):
            if found is None:
                logger.warning(
                    "%s: its %s file was not found; its events load without them", file, kind
                )
    steps = _children_by_change(steps_file) if steps_file else {}
    props = _children_by_change(props_file) if props_file else {}
    origin = Origin(file.name, place=Place.FILE)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    first = 0
    for line, row in _rows(file):
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
    """(line number, row) of each row: empty cells None, as `csv.DictReader` reads them."""
    plain = _arrow_rows(file)
    if plain is not None:
        yield from plain
    else:
        yield from _csv_rows(file)


def _csv_rows(file: InputFile) -> Iterator[tuple[int, dict[str, Any]]]:
    """`_rows` through the `csv` module: any file, and what is wrong with it named."""
    try:
        with open_text(file) as handle:
            first = handle.readline()  # Windows PowerShell's Export-Csv: `#TYPE <class>` first
            skipped = 1 if first.startswith("#TYPE") else 0
            reader = csv.DictReader(itertools.chain([] if skipped else [first], handle))
            if not reader.fieldnames:
                raise InputError(file.name, "the CSV file has no header row")
            for row in reader:
                line = reader.line_num + skipped
                if None in row:
                    raise InputError(Origin(file.name, line=line), "more cells than headers")
                yield line, {k: (v if v != "" else None) for k, v in row.items()}
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
        raise InputError(file.name, f"not a readable CSV file ({exc})") from exc


def _arrow_rows(file: InputFile) -> Iterator[tuple[int, dict[str, Any]]] | None:
    """The rows of a plain CSV file through Arrow's reader, numbered by the line they end
    on (as `csv.DictReader.line_num`); None if the file is not plain (a blank line, a `\r`
    alone, a `#TYPE` line, a quoted header, a short or long row, text that is not UTF-8, a
    file that cannot be read whole) or larger than `ARROW_MAX_BYTES` as stored: the `csv`
    module reads those (streaming). The rows are made a chunk at a time, as they are read."""
    try:
        if file.size > ARROW_MAX_BYTES:
            return None
        data = read_bytes(file)  # UTF-8 without a byte-order mark, decompressed
    except (InputError, OSError, EOFError):
        return None
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]  # not a copy of the rest
    if not header.strip() or header.startswith(b"#TYPE") or b'"' in header:
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # `\r` alone ends a line for `csv`
    names = header.rstrip(b"\r").decode("utf-8", "replace").split(",")
    if len(set(names)) != len(names):
        return None
    table = _arrow_table(data, names)
    if table is None or table.column_names != names:
        return None
    embedded = np.zeros(table.num_rows, np.int64)  # newlines inside each row's cells
    for column in table.columns:
        if any(_has_newline(chunk) for chunk in column.chunks):
            counts = pc.fill_null(pc.count_substring(column, "\n"), 0)
            embedded += counts.to_numpy(zero_copy_only=False)
    lines = 1 + np.cumsum(1 + embedded)
    last = int(lines[-1]) if len(lines) else 1
    if data.count(b"\n") + (not data.endswith(b"\n")) != last:
        return None  # blank lines: numbered as `csv` numbers them
    return _table_rows(table, names, lines.tolist())


def _table_rows(
    table: pa.Table, names: list[str], lines: list[int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) of each row of `table`, its cells made Python values a chunk at a time."""
    for start in range(0, table.num_rows, _CHUNK_ROWS):
        columns = [column.to_pylist() for column in table.slice(start, _CHUNK_ROWS).columns]
        rows = zip(*columns, strict=True)
        for line, cells in zip(lines[start : start + _CHUNK_ROWS], rows, strict=True):
            yield line, dict(zip(names, cells, strict=True))


def _has_newline(chunk: pa.Array) -> bool:
    """Whether a text column's bytes hold a newline (a cheap look before counting)."""
    values = chunk.buffers()[2]
    return values is not None and bool(np.any(np.frombuffer(values, np.uint8) == 10))


def _arrow_table(data: bytes, names: list[str]) -> pa.Table | None:
    """Every column as text, empty cells null; None if Arrow cannot read it."""
    try:
        return pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None


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
