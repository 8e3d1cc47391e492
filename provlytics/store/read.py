"""The read side of the store: the tables at one store version (time travel by version or
time), their datasets, the facts each load's commit keeps, and a summary (see
`provlytics.store`)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from pyarrow.fs import FileType

from provlytics.errors import ConfigError, InputError, ProvlyticsError
from provlytics.order import in_order
from provlytics.scan import Columns, Filters, scan_tables, scan_window
from provlytics.schema import TABLE_NAMES
from provlytics.store.common import INFO, OTHERS, VERSIONS, _exists, require_retention_store
from provlytics.store.history import describe, retention
from provlytics.timebounds import TimeBound, parse_time

TIME = "activity_time"  # the events' time column


def read_store(
    root: str | Path,
    *,
    version: int | None = None,
    as_of: datetime | str | None = None,
    since: TimeBound = None,
    until: TimeBound = None,
    columns: Columns = None,
    filters: Filters = None,
) -> tuple[dict[str, pa.Table], dict[str, Any], tuple[datetime | None, datetime | None]]:
    """The store's tables at one store version (the latest by default), scoped as asked.

    A version that is a maintenance commit (a vacuum, a change of the retention) holds the
    data of the load before it.

    Args:
        root: the store folder.
        version: a store version (the events table's Delta version, `store_version` in the
            manifest after each load).
        as_of: the store as it was at this time: a datetime, or text as
            `timebounds.parse_time` reads it: ISO 8601 such as "2026-11-30" or
            "2026-11-30T09:00:00Z" (UTC when no zone is given), or a duration meaning that
            long before now ("2d": the store as it was two days ago); a date whose day and
            month could be either way round ("05/11/2026") is refused.
        since, until, columns, filters: pushed down to the Parquet scan of the tables'
            files at that version (`provlytics.scan.scan_tables`).

    Returns:
        (table name -> Arrow table in `SCHEMAS` (the columns asked for), canonical order
        (`tables.sort_tables`); the `info` of that version's load; the UTC times `since` and
        `until` stood for, None where not given: a duration counts back from the newest
        event of that version, `scan.scan_window`).

    Raises:
        ConfigError: both `version` and `as_of`, a `version` that is not a whole number,
            a time that is not one, a bad scope argument (see `scan_tables`).
        InputError: no such version, one no longer kept, a time before the store began, or
            not a store.
    """
    root = Path(root)
    events = _events_table(root, version, as_of)
    try:
        sources = _datasets_at(root, events)
        first, last = scan_window(sources["events"], since, until)
        tables = scan_tables(sources, since=first, until=last, columns=columns, filters=filters)
    except ProvlyticsError:
        raise
    except (DeltaError, OSError, KeyError, ValueError) as exc:
        raise InputError(str(root), _unreadable(root, events.version(), exc)) from exc
    return in_order(tables), _commit_info(root / "events", events)["info"], (first, last)


def datasets(root: str | Path, *, version: int | None = None) -> dict[str, Any]:
    """`pyarrow.dataset.Dataset` of each table at one store version (the latest by default),
    for DuckDB, Polars.

    Raises:
        ConfigError: `version` is not a whole number.
        InputError: not a store, no such version, or one no longer kept (its files were
            vacuumed: the message says the store's retention), as `read_store` says it.
    """
    root = Path(root)
    events = _events_table(root, version, None)
    try:
        return _datasets_at(root, events)
    except ProvlyticsError:
        raise
    except (DeltaError, OSError, KeyError, ValueError) as exc:
        raise InputError(str(root), _unreadable(root, events.version(), exc)) from exc


def _datasets_at(root: Path, events: DeltaTable) -> dict[str, Any]:
    """The datasets of the tables at the versions the events version names.

    Raises:
        FileNotFoundError: a file of that version is gone (vacuumed).
    """
    versions = _commit_versions(root, events)
    out = {"events": events.to_pyarrow_dataset()}
    for name in OTHERS:
        out[name] = DeltaTable(str(root / name), version=versions[name]).to_pyarrow_dataset()
    for name, dataset in out.items():
        found = dataset.filesystem.get_file_info(dataset.files)
        gone = next((f.path for f in found if f.type == FileType.NotFound), None)
        if gone is not None:
            raise FileNotFoundError(f"{name}/{gone}: not found")
    return out


def _events_table(root: Path, version: int | None, as_of: datetime | str | None) -> DeltaTable:
    """The events table at the version asked for, or an error that says what there is."""
    if version is not None and as_of is not None:
        raise ConfigError("give version= or as_of=, not both")
    try:
        table = DeltaTable(str(root / "events"))
    except (DeltaError, OSError) as exc:
        raise InputError(str(root), f"not a provlytics store ({_plain(exc)})") from exc
    latest = table.version()
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise ConfigError(
                f"version={version!r}: give a whole number, a store version from 0 to {latest}"
            )
        if not 0 <= version <= latest:
            raise InputError(
                str(root), f"no store version {version!r}: versions run from 0 to {latest}"
            )
        chosen = version
    elif as_of is not None:
        chosen = _version_at(root, table, _utc(as_of))
    else:
        return table
    try:
        table.load_as_version(chosen)
    except (DeltaError, OSError, ValueError) as exc:
        raise InputError(str(root), _unreadable(root, chosen, exc)) from exc
    return table


def _utc(value: datetime | str) -> datetime:
    """`as_of` as a UTC time (`timebounds.parse_time`: a duration is that long before now)."""
    return parse_time(value, name="as_of")


def _version_at(root: Path, table: DeltaTable, when: datetime) -> int:
    """The newest events version committed at or before `when`."""
    times = {
        entry["version"]: entry["timestamp"] for entry in table.history() if "version" in entry
    }
    millis = when.timestamp() * 1000
    before = [v for v, stamp in times.items() if stamp <= millis]
    if not before:
        first = datetime.fromtimestamp(min(times.values()) / 1000, tz=when.tzinfo)
        raise InputError(
            str(root),
            f"no store version as of {when:%Y-%m-%d %H:%M:%S} UTC: "
            f"the store began at {first:%Y-%m-%d %H:%M:%S} UTC",
        )
    return max(before)


def _unreadable(root: Path, version: int, exc: BaseException) -> str:
    text = _plain(exc)
    if "not found" in text.lower() or "no such file" in text.lower():
        return (
            f"store version {version} is no longer kept: each load vacuums the files later "
            f"loads replaced more than {_kept(root)} ago (the store's "
            "retention; provlytics.store.set_retention changes it)"
        )
    return f"cannot read store version {version} ({text})"


def _kept(root: Path) -> str:
    """The store's retention, for people ("7 days")."""
    return describe(retention(DeltaTable(str(root / "events"))))


def read_retention(root: str | Path) -> timedelta:
    """How long the store keeps what a later load replaced (its events table's
    `delta.deletedFileRetentionDuration`; 7 days when unset): time travel reaches that far
    back. `set_retention` changes it.

    Raises:
        InputError: `root` is not a store, or the property is no interval.
    """
    root = Path(root)
    require_retention_store(root)
    return retention(_events_table(root, None, None))


def _plain(exc: BaseException) -> str:
    """An exception's text on one line, without terminal colour codes (delta-rs adds them)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    return " ".join(text.split())


def _load_commit(path: Path, version: int) -> tuple[int, dict[str, Any]]:
    """The newest load commit at or before `version` (maintenance commits such as a vacuum
    name no versions and hold the data of the load before them), with its facts."""
    for candidate in range(version, -1, -1):
        info = _commit_info_at(path, candidate)
        if info is None:
            break
        if info["versions"]:
            return candidate, info
    return version, {"versions": {}, "info": {}}


def _commit_info_at(path: Path, version: int) -> dict[str, Any] | None:
    """The provlytics facts of one commit, read from its `commitInfo` action in
    `_delta_log/<version>.json` (the Delta protocol); None when that file is gone."""
    commit = path / "_delta_log" / f"{version:020d}.json"
    if not commit.is_file():
        return None
    for line in commit.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line).get("commitInfo") if line.strip() else None
        if entry is not None:
            return {
                "versions": json.loads(entry.get(VERSIONS, "{}")),
                "info": json.loads(entry.get(INFO, "{}")),
            }
    return {"versions": {}, "info": {}}


def _commit_info(path: Path, table: DeltaTable) -> dict[str, Any]:
    """The provlytics facts of the load the table's current version holds."""
    return _load_commit(path, table.version())[1]


def _commit_versions(root: Path, events: DeltaTable) -> dict[str, int]:
    versions = _commit_info(root / "events", events)["versions"]
    missing = [name for name in OTHERS if name not in versions]
    if missing:
        raise InputError(str(root / "events"), f"its commit names no version of {missing}")
    return versions


def summary(root: str | Path) -> dict[str, Any]:
    """Row counts (from the Delta log) and the events' time range of the latest version."""
    root = Path(root)
    counts = dict.fromkeys(TABLE_NAMES, 0)
    tables = {name: DeltaTable(str(root / name)) for name in TABLE_NAMES if _exists(root / name)}
    for name, table in tables.items():
        actions = pa.table(table.get_add_actions(flatten=True))
        counts[name] = int(pc.sum(actions["num_records"]).as_py() or 0)
    start = end = None
    if "events" in tables:  # the Delta log read once, for the counts and the time range
        start, end = _time_range(tables["events"].to_pyarrow_dataset())
    time_range = {"start": start and start.isoformat(), "end": end and end.isoformat()}
    return {"row_counts": counts, "time_range": time_range}


def _time_range(events: ds.Dataset) -> tuple[datetime | None, datetime | None]:
    """The first and last `activity_time` of the events (None, None: no time), from the
    row-group statistics in the files' footers (exact, to the microsecond); the column is
    read only from a file whose statistics lack a bound (a row group of nulls needs none)."""
    bounds: list[datetime] = []
    for fragment in events.get_fragments():
        metadata = fragment.metadata
        column = metadata.schema.to_arrow_schema().get_field_index(TIME)
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group).column(column)
            stats = chunk.statistics
            if stats is not None and stats.has_min_max:
                bounds += [stats.min, stats.max]
            elif stats is None or stats.null_count != chunk.num_values:
                times = fragment.to_table(columns=[TIME])[TIME]
                found = pc.min_max(times).as_py()
                bounds += [found["min"], found["max"]] if found["min"] is not None else []
                break
    return (min(bounds), max(bounds)) if bounds else (None, None)
