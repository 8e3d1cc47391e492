"""The store: one Delta Lake table per canonical table, written by `deltalake` (delta-rs).

Layout: `<store>/<table>/` is a Delta table (Parquet files, zstd, partitioned by
`activity_date`; children take their event's date) with its `_delta_log/`; `manifest.json`
beside them describes the store for people and is never needed for consistency.

**Commit point.** A load is atomic across the tables because `events` is the commit point.
A load first rewrites the children (`steps`, `modified_properties`, `errors`: the rows of
the load's events are deleted and the new ones appended) and upserts `job_status`, each a
Delta commit of its own, then merges the events on `event_id` in one last commit whose
commit info carries `provlytics.versions`: the version of every other table that goes with
it. Readers open `events` at a version and the other tables at the versions it names, so
they see the store before the load or after it, never a mix. The *store version* is the
events table's Delta version (`pv.read_parquet(store, version=N)`). Chosen over children
filtered by a load id because readers then need no join, the tables stay plain Delta tables
that any engine reads, and it costs nothing measurable (two small commits per table; the
delete is a merge on the load's event ids).

**Writers** hold an OS lock on `<store>/.provlytics.lock` (`filelock`; released by the OS
when a process dies) for the whole load; a second writer logs that it waits and gives up
after `lock_timeout` seconds with `StoreBusyError`.

**Recovery.** A writer that takes the lock first repairs what a killed one left: a table
ahead of the versions the last events commit names is restored to them (`restore`), a
store whose first load never committed its events is emptied, staging folders are
removed, and every table is vacuumed (retention 0) of the files its current version does
not reference. So time travel reaches back to the version before the latest load.

A write that fails (`OSError`, a full disk) is repaired the same way at once and raised as
`StoreWriteError` naming the folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import DeltaError
from filelock import FileLock, Timeout

from provlytics.errors import ConfigError, InputError, ProvlyticsError
from provlytics.order import in_order
from provlytics.scan import Columns, Filters, scan_tables
from provlytics.schema import KEYS, LOG_TABLES, SCHEMAS, TABLE_NAMES, TIME_COLUMNS
from provlytics.tables import (
    OCC,
    ProvisioningFrames,
    deduplicate,
    last_rows,
    occurrence_schema,
    tag_occurrences,
)
from provlytics.timebounds import TimeBound

logger = logging.getLogger(__name__)

LOCK = ".provlytics.lock"
STAGING = ".staging-"
PARTITION = "activity_date"
VERSIONS = "provlytics.versions"
INFO = "provlytics.info"
CHILDREN = ("steps", "modified_properties", "errors")
OTHERS = (*CHILDREN, "job_status")  # every table the events commit names a version of
LOCK_TIMEOUT = 600.0
_UNKNOWN_DATE = "unknown"
_PROPERTIES = WriterProperties(compression="ZSTD")


class StoreBusyError(ProvlyticsError):
    """Another process is writing the store and did not finish within the timeout."""


class StoreWriteError(ProvlyticsError):
    """Writing the store failed (a full disk, permissions); the store is as it was."""


def is_store(root: str | Path) -> bool:
    """Whether `root` holds a Delta store (any table with a `_delta_log`)."""
    return any((Path(root) / name / "_delta_log").is_dir() for name in TABLE_NAMES)


class StoreWriter:
    """Stages one load and commits it to the store as one transaction (see the module).

    Args:
        root: the store folder (created by the caller).
        lock_timeout: seconds to wait for another writer before `StoreBusyError`.

    Raises:
        StoreBusyError: the lock was not free within `lock_timeout`.
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root)
        self._lock = FileLock(str(self.root / LOCK), mode=0o600)
        _acquire(self._lock, self.root, lock_timeout)
        try:
            _guarded(self.root, lambda: recover(self.root))
        except BaseException:
            self._lock.release()
            raise
        self._staging = self.root / f"{STAGING}{uuid.uuid4().hex}"
        self._writers: dict[str, pa.ipc.RecordBatchFileWriter] = {}
        self._held: dict[str, list[pa.Table]] = {}
        self._occurrences = 0

    def write_page(self, page: Any) -> None:
        """Stage one normalized page (`PageTables`): its rows tagged with occurrences."""
        tagged = tag_occurrences(page, self._occurrences)
        self._occurrences += page.batches["events"].num_rows
        for name, batch in tagged.items():
            if batch.num_rows:
                _guarded(self.root, lambda n=name, b=batch: self._writer(n, b.schema).write(b))

    def write_jobs(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Hold job-status rows for the commit."""
        self._held.setdefault("job_status", []).append(_as_table(batch))

    def write_frames(self, frames: ProvisioningFrames) -> None:
        """Hold in-memory (already de-duplicated) frames for the commit."""
        events = frames.table("events")
        base = self._occurrences
        for name in LOG_TABLES:
            table = frames.table(name)
            where = pc.index_in(table["event_id"], value_set=_flat(events["event_id"]))
            tagged = table.append_column(OCC, pc.add(where.cast(pa.int64()), base))
            self._held.setdefault(name, []).append(tagged)
        self._occurrences += events.num_rows
        self._held.setdefault("job_status", []).append(frames.table("job_status"))

    def commit(self, info: dict[str, Any]) -> int:
        """Commit the staged load; returns the new store version. The lock stays held
        (for writing the manifest) until `abort()`.

        Args:
            info: JSON-encodable facts kept in the events commit (`provlytics.info`).

        Raises:
            StoreWriteError: an `OSError` or Delta failure; the store is as it was before.
        """
        try:
            tables = self._final_tables()
            return _guarded(self.root, lambda: _commit(self.root, tables, info))
        except BaseException:
            _guarded(self.root, lambda: recover(self.root), quiet=True)
            self.abort()
            raise
        finally:
            self._drop_staging()

    def abort(self) -> None:
        """Drop everything staged and release the lock; the store stays as it was."""
        self._drop_staging()
        self._lock.release()

    def _drop_staging(self) -> None:
        for writer in self._writers.values():
            with contextlib.suppress(OSError):  # a full disk: the file is removed below
                writer.close()
        self._writers.clear()
        self._held.clear()
        shutil.rmtree(self._staging, ignore_errors=True)

    def _writer(self, name: str, schema: pa.Schema) -> pa.ipc.RecordBatchFileWriter:
        if name not in self._writers:
            self._staging.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._writers[name] = pa.ipc.new_file(str(self._staging / f"{name}.arrow"), schema)
        return self._writers[name]

    def _final_tables(self) -> dict[str, pa.Table]:
        """The load's tables: last copy of each event with its own children."""
        for writer in self._writers.values():
            _guarded(self.root, writer.close)
        tables = {}
        for name in TABLE_NAMES:
            parts = list(self._held.get(name, ()))
            if name in self._writers:
                mapped = pa.memory_map(str(self._staging / f"{name}.arrow"))
                parts.append(pa.ipc.open_file(mapped).read_all())
            schema = SCHEMAS[name] if name == "job_status" else occurrence_schema(name)
            tables[name] = pa.concat_tables(
                [p.cast(schema) for p in parts] or [schema.empty_table()]
            )
        self._writers.clear()
        ids = tables["events"]["event_id"]
        if pc.count_distinct(ids).as_py() < len(ids):
            return deduplicate(tables)
        # every event once: its children are its own; no copies (the mapped staging is used)
        out = {n: t.drop_columns([OCC]) if OCC in t.column_names else t for n, t in tables.items()}
        jobs = out["job_status"]
        out["job_status"] = jobs.take(last_rows(jobs, KEYS["job_status"]))
        return out


def _acquire(lock: FileLock, root: Path, timeout: float) -> None:
    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        logger.warning(
            "%s: another provlytics process is writing; waiting up to %.0f s", root, timeout
        )
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise StoreBusyError(
            f"{root}: another provlytics process kept the store locked for {timeout:.0f} s "
            f"({root / LOCK}); try again when it has finished"
        ) from None


def _guarded(root: Path, action: Any, *, quiet: bool = False) -> Any:
    """Run `action`; an `OSError` or Delta failure becomes `StoreWriteError` naming `root`."""
    try:
        return action()
    except (OSError, DeltaError) as exc:
        if quiet:
            logger.warning("%s: could not repair the store now (%s); the next load will", root, exc)
            return None
        raise StoreWriteError(f"{root}: the store could not be written ({exc})") from exc


def _commit(root: Path, tables: dict[str, pa.Table], info: dict[str, Any]) -> int:
    events = tables["events"]
    ids = pa.table({"event_id": pc.unique(_flat(events["event_id"]))})
    dates = _dates(events, "activity_time")
    versions = {}
    for name in CHILDREN:
        versions[name] = _replace_children(root / name, name, tables[name], ids, events, dates)
    versions["job_status"] = _upsert(root / "job_status", "job_status", tables["job_status"])
    metadata = {VERSIONS: json.dumps(versions), INFO: json.dumps(info, ensure_ascii=False)}
    version = _upsert(root / "events", "events", events, metadata=metadata)
    logger.info("%s: committed store version %d", root, version)
    return version


def _replace_children(
    path: Path,
    name: str,
    rows: pa.Table,
    ids: pa.Table,
    events: pa.Table,
    dates: pa.Array,
) -> int:
    """Delete the children of the load's events, then append the load's; the table's version."""
    where = pc.index_in(rows["event_id"], value_set=_flat(events["event_id"]))
    data = _with_dates(name, rows, pc.fill_null(pc.take(dates, where), _UNKNOWN_DATE))
    if not _exists(path):
        write_deltalake(str(path), data, partition_by=[PARTITION], writer_properties=_PROPERTIES)
        return 0
    table = DeltaTable(str(path))
    if ids.num_rows:
        table.merge(
            ids, "t.event_id = s.event_id", source_alias="s", target_alias="t",
            writer_properties=_PROPERTIES,
        ).when_matched_delete().execute()  # fmt: skip
    if data.num_rows:
        write_deltalake(table, data, mode="append", writer_properties=_PROPERTIES)
    return DeltaTable(str(path)).version()


def _upsert(
    path: Path, name: str, rows: pa.Table, *, metadata: dict[str, str] | None = None
) -> int:
    """Merge `rows` on the table's keys (the new row wins); the table's new version."""
    data = _with_dates(name, rows, _dates(rows, TIME_COLUMNS[name]))
    commit = CommitProperties(custom_metadata=metadata) if metadata else None
    if not _exists(path):
        write_deltalake(
            str(path), data, partition_by=[PARTITION], writer_properties=_PROPERTIES,
            commit_properties=commit,
        )  # fmt: skip
        return 0
    table = DeltaTable(str(path))
    if not data.num_rows:  # still a commit: the events commit names the other versions
        write_deltalake(
            table, data, mode="append", writer_properties=_PROPERTIES, commit_properties=commit
        )
    else:
        on = " AND ".join(f"t.{k} = s.{k}" for k in KEYS[name])
        merge = table.merge(
            data, on, source_alias="s", target_alias="t", writer_properties=_PROPERTIES,
            commit_properties=commit,
        )  # fmt: skip
        merge.when_matched_update_all().when_not_matched_insert_all().execute()
    return DeltaTable(str(path)).version()


def recover(root: Path) -> None:
    """Repair what a killed writer left (see the module); call with the lock held."""
    events = root / "events"
    if not _exists(events):
        for name in OTHERS:
            if (root / name).exists():
                logger.warning("%s: removing %s of a first load that never committed", root, name)
                shutil.rmtree(root / name)
    else:
        versions = _commit_versions(root, DeltaTable(str(events)))
        for name, version in versions.items():
            table = DeltaTable(str(root / name))
            if table.version() != version:
                logger.warning(
                    "%s: %s restored to version %d (an unfinished load)", root, name, version
                )
                table.restore(version)
    for staged in root.glob(f"{STAGING}*"):
        shutil.rmtree(staged, ignore_errors=True)
    for name in TABLE_NAMES:
        if _exists(root / name):
            DeltaTable(str(root / name)).vacuum(
                retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True
            )


def read_store(
    root: str | Path,
    *,
    version: int | None = None,
    as_of: datetime | str | None = None,
    since: TimeBound = None,
    until: TimeBound = None,
    columns: Columns = None,
    filters: Filters = None,
) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """The store's tables at one store version (the latest by default), scoped as asked.

    A version that is a maintenance commit (a vacuum) holds the data of the load before it.

    Args:
        root: the store folder.
        version: a store version (the events table's Delta version, `store_version` in the
            manifest after each load).
        as_of: the store as it was at this time (a datetime, or ISO text such as
            "2026-11-30" or "2026-11-30T09:00:00Z"; UTC when no zone is given).
        since, until, columns, filters: pushed down to the Parquet scan of the tables'
            files at that version (`provlytics.scan.scan_tables`).

    Returns:
        (table name -> Arrow table in `SCHEMAS` (the columns asked for), canonical order
        (`tables.sort_tables`); the `info` of that version's load).

    Raises:
        ConfigError: both `version` and `as_of`, a time that is not one, a bad scope
            argument (see `scan_tables`).
        InputError: no such version, one no longer kept, a time before the store began, or
            not a store.
    """
    root = Path(root)
    events = _events_table(root, version, as_of)
    try:
        sources = _datasets_at(root, events)
        tables = scan_tables(sources, since=since, until=until, columns=columns, filters=filters)
    except ProvlyticsError:
        raise
    except (DeltaError, OSError, KeyError, ValueError) as exc:
        raise InputError(str(root), _unreadable(events.version(), exc)) from exc
    return in_order(tables), _commit_info(root / "events", events)["info"]


def datasets(root: str | Path, *, version: int | None = None) -> dict[str, Any]:
    """`pyarrow.dataset.Dataset` of each table at one store version (for DuckDB, Polars)."""
    root = Path(root)
    return _datasets_at(root, _events_table(root, version, None))


def _datasets_at(root: Path, events: DeltaTable) -> dict[str, Any]:
    """The datasets of the tables at the versions the events version names."""
    versions = _commit_versions(root, events)
    out = {"events": events.to_pyarrow_dataset()}
    for name in OTHERS:
        out[name] = DeltaTable(str(root / name), version=versions[name]).to_pyarrow_dataset()
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
        if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= latest:
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
        raise InputError(str(root), _unreadable(chosen, exc)) from exc
    return table


def _utc(value: datetime | str) -> datetime:
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"as_of={value!r} is not a date or time") from exc
    if pd.isna(stamp):
        raise ConfigError(f"as_of={value!r} is not a date or time")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


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


def _unreadable(version: int, exc: BaseException) -> str:
    text = _plain(exc)
    if "not found" in text.lower() or "no such file" in text.lower():
        return (
            f"store version {version} is no longer kept: each load keeps the latest version "
            "and the one before it (older files are vacuumed)"
        )
    return f"cannot read store version {version} ({text})"


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


def _exists(path: Path) -> bool:
    return (path / "_delta_log").is_dir() and any((path / "_delta_log").glob("*.json"))


def _with_dates(name: str, rows: pa.Table, dates: pa.Array) -> pa.Table:
    return rows.cast(SCHEMAS[name]).append_column(PARTITION, dates)


def _dates(rows: pa.Table, column: str) -> pa.Array:
    text = rows[column].cast(pa.date32()).cast(pa.string())  # UTC times: the UTC date
    return pc.fill_null(_flat(text), _UNKNOWN_DATE)


def _as_table(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    return pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch


def _flat(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def summary(root: str | Path) -> dict[str, Any]:
    """Row counts (from the Delta log) and the events' time range of the latest version."""
    root = Path(root)
    counts = {}
    for name in TABLE_NAMES:
        path = root / name
        if _exists(path):
            actions = pa.table(DeltaTable(str(path)).get_add_actions(flatten=True))
            counts[name] = int(pc.sum(actions["num_records"]).as_py() or 0)
        else:
            counts[name] = 0
    times = pa.array([], pa.timestamp("us", "UTC"))
    if _exists(root / "events"):
        data = DeltaTable(str(root / "events")).to_pyarrow_dataset()
        times = data.to_table(columns=["activity_time"])["activity_time"]
    bounds = pc.min_max(times).as_py() if len(times) else {"min": None, "max": None}
    start, end = bounds["min"], bounds["max"]
    time_range = {"start": start and start.isoformat(), "end": end and end.isoformat()}
    return {"row_counts": counts, "time_range": time_range}
