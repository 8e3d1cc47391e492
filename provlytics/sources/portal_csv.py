"""CSV files: the portal's three-file download (joined on change ID) and Log Analytics exports.

The portal writes `ProvisioningLogs*.csv` with two companions whose names end in
`_ProvisioningSteps.csv` and `_ModifiedProperties.csv`; their rows are attached to the event
row with the same change ID. Headers are matched by the normalizer, whatever their spelling.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provlytics.errors import InputError
from provlytics.normalize.aliases import PORTAL_JOIN_COLUMN
from provlytics.normalize.dialects import (
    HINT_PORTAL_CSV,
    PORTAL_PROPERTIES_KEY,
    PORTAL_STEPS_KEY,
    normalize_header,
)
from provlytics.origin import Origin, Page
from provlytics.sources.reading import data_suffix, open_text

STEPS_SUFFIX = "_provisioningsteps"
PROPERTIES_SUFFIX = "_modifiedproperties"
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # step details can be large


@dataclass
class CompanionGroups:
    """Which files are companions, and the companions of each main file."""

    companions: set[Path] = field(default_factory=set)
    by_main: dict[Path, tuple[Path | None, Path | None]] = field(default_factory=dict)

    def of(self, main: Path) -> tuple[Path | None, Path | None]:
        """(steps file, properties file) of a main file; (None, None) if it has none."""
        return self.by_main.get(main, (None, None))


def group_companions(files: list[Path]) -> CompanionGroups:
    """Pair each portal companion file with the main file it belongs to."""
    groups = CompanionGroups()
    files = [f for f in files if data_suffix(f) == ".csv"]
    mains = {_key(f): f for f in files if _role(f) == "main"}
    for f in files:
        role = _role(f)
        if role == "main":
            continue
        main = mains.get(_key(f)[: -len(STEPS_SUFFIX if role == "steps" else PROPERTIES_SUFFIX)])
        if main is None:
            raise InputError(str(f), "a portal companion file without its ProvisioningLogs file")
        steps, props = groups.of(main)
        groups.by_main[main] = (f, props) if role == "steps" else (steps, f)
        groups.companions.add(f)
    return groups


def iter_csv_pages(
    path: Path, companions: tuple[Path | None, Path | None], *, page_size: int
) -> Iterator[Page]:
    """Pages of CSV rows; portal rows carry their steps and properties."""
    steps_path, props_path = companions
    portal = steps_path is not None or props_path is not None
    steps = _children_by_change(steps_path) if steps_path else {}
    props = _children_by_change(props_path) if props_path else {}
    origin = Origin(str(path))
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    first = 0
    for line, row in _rows(path):
        if portal:
            change = _change_id(row, origin.at(line=line))
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
        source = steps_path if change in steps else props_path
        raise InputError(
            str(source), f"{len(orphans)} rows for change ID {change!r}, which {path.name} lacks"
        )


def _page(records: list, origin: Origin, lines: list[int], first: int, portal: bool) -> Page:
    hint = HINT_PORTAL_CSV if portal else None
    return Page(records, origin, lines=lines, first_record=first, dialect=hint)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with open_text(path) as handle:
            first = handle.readline()  # Windows PowerShell's Export-Csv: `#TYPE <class>` first
            skipped = 1 if first.startswith("#TYPE") else 0
            reader = csv.DictReader(itertools.chain([] if skipped else [first], handle))
            if not reader.fieldnames:
                raise InputError(str(path), "the CSV file has no header row")
            for row in reader:
                line = reader.line_num + skipped
                if None in row:
                    raise InputError(Origin(str(path), line=line), "more cells than headers")
                yield line, {k: (v if v != "" else None) for k, v in row.items()}
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
        raise InputError(str(path), f"not a readable CSV file ({exc})") from exc


def _children_by_change(path: Path) -> dict[str, list[dict[str, Any]]]:
    children: dict[str, list[dict[str, Any]]] = {}
    for line, row in _rows(path):
        children.setdefault(_change_id(row, Origin(str(path), line=line)), []).append(row)
    return children


def _change_id(row: dict[str, Any], origin: Origin) -> str:
    for header, value in row.items():
        if normalize_header(header) == PORTAL_JOIN_COLUMN and value:
            return value
    raise InputError(origin, "is missing", field="Change Id")


def _role(path: Path) -> str:
    key = _key(path)
    if key.endswith(STEPS_SUFFIX):
        return "steps"
    if key.endswith(PROPERTIES_SUFFIX):
        return "properties"
    return "main"


def _key(path: Path) -> str:
    """Lower-case path without the `.csv(.gz)` suffix, for pairing companions."""
    name = path.name.lower().removesuffix(".gz").removesuffix(".csv")
    return str(path.parent / name)
