"""The Parquet dataset: a folder per table, Hive-partitioned by `activity_date`, zstd, and a
`manifest.json` written last. Writing merges into what is there: an event already present
(same `event_id`) is replaced with its steps, properties and error, never duplicated.

Streamed batches are first staged in a folder, in-memory frames are held as they are;
nothing in the dataset changes until `commit()`, so a failed load leaves it as it was. What
could fail on input data (the manifest's text) is built before the first change.

The manifest names its sources relative to their common folder (never the absolute paths
that would show the user's folder layout); folders are created 0700 and files 0600.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from provlytics.dataset_files import MANIFEST
from provlytics.errors import ConfigError, InputError
from provlytics.manifest_sources import Listed, listed_sources, merged_sources, printable
from provlytics.normalize.batch import PageTables
from provlytics.order import in_order
from provlytics.owner_only import private_dirs, private_file
from provlytics.scan import Columns, Filters, scan_tables, scan_window
from provlytics.schema import (
    KEYS,
    LOG_TABLES,
    SCHEMA_VERSION,
    SCHEMAS,
    TABLE_NAMES,
    TIME_COLUMNS,
)
from provlytics.tables import (
    OCC,
    ProvisioningFrames,
    last_rows,
    sort_table,
    sort_tables,
    tag_occurrences,
)
from provlytics.timebounds import TimeBound, narrowed_by
from provlytics.upgrade import check_version, stored_columns, upgrade_tables, version_message

logger = logging.getLogger(__name__)

PARTITION = "activity_date"
_UNKNOWN_DATE = "unknown"


class DatasetWriter:
    """Streams normalized pages into a dataset folder; `commit()` merges them in atomically.

    Log-table rows are staged with their occurrence number (`tables.tag_occurrences`), so
    that when an event arrives twice the last copy wins, with its own children.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        _refuse_other_version(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"{printable(self.root)} is a file; give a folder for the dataset")
        private_dirs(self.root)
        self._staging = self.root / f".staging-{uuid.uuid4().hex}"
        self._writers: dict[tuple[str, str], pa.ipc.RecordBatchFileWriter] = {}
        self._held: dict[tuple[str, str], list[pa.Table]] = {}
        self._occurrences = 0

    def write_page(self, page: PageTables) -> None:
        """Stage one normalized page."""
        self._stage(tag_occurrences(page, self._occurrences))
        self._occurrences += page.batches["events"].num_rows

    def write_jobs(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Stage job-status rows."""
        self._stage({"job_status": batch})

    def write_frames(self, frames: ProvisioningFrames) -> None:
        """Hold in-memory (already de-duplicated) frames for the commit, without staging."""
        events = frames.table("events")
        base = self._occurrences
        tagged: dict[str, pa.Table] = {}
        for name in LOG_TABLES:
            table = frames.table(name)
            where = pc.index_in(table["event_id"], value_set=_flat(events["event_id"]))
            tagged[name] = table.append_column(OCC, pc.add(where.cast(pa.int64()), base))
        self._occurrences += events.num_rows
        tagged["job_status"] = frames.table("job_status")
        for name, date, part in _partitions(tagged):
            self._held.setdefault((name, date), []).append(part)

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Merge the staged partitions into the dataset, then write the manifest.

        Raises:
            ConfigError: pseudonymized rows (`manifest["pseudonymized"]`) into a dataset that
                is not, or the other way round; nothing is written.
        """
        try:
            _refuse_mix(self.root, manifest.get("pseudonymized"))
            info = _manifest_info(manifest)  # may fail on input data: before any change
        except BaseException:
            self.abort()
            raise
        for writer in self._writers.values():
            writer.close()
        parts = {*self._writers, *self._held}
        for date in sorted({d for t, d in parts if t == "events"}):
            self._merge_events(date)
        for date in sorted({d for t, d in parts if t == "job_status"}):
            self._merge_jobs(date)
        self.abort()
        return write_manifest(self.root, info)

    def abort(self) -> None:
        """Drop everything staged; the dataset stays as it was."""
        for writer in self._writers.values():
            writer.close()
        shutil.rmtree(self._staging, ignore_errors=True)
        self._writers.clear()
        self._held.clear()

    def _stage(self, tables: dict[str, pa.RecordBatch | pa.Table]) -> None:
        for name, date, part in _partitions(tables):
            self._writer(name, date, part.schema).write(part)

    def _fresh(self, table: str, date: str) -> pa.Table | None:
        """What this writer has for one partition: held in memory and staged on disk."""
        parts = list(self._held.get((table, date), ()))
        if (table, date) in self._writers:
            staged = pa.memory_map(str(self._staged(table, date)))
            parts.append(pa.ipc.open_file(staged).read_all())  # zero-copy: mapped
        return pa.concat_tables(parts) if parts else None

    def _writer(self, table: str, date: str, schema: pa.Schema) -> pa.ipc.RecordBatchFileWriter:
        if (table, date) not in self._writers:
            path = self._staged(table, date)
            private_dirs(path.parent)
            # staged rows live seconds: Arrow IPC, uncompressed, written and mapped back as is
            self._writers[table, date] = pa.ipc.new_file(str(path), schema)
        return self._writers[table, date]

    def _staged(self, table: str, date: str) -> Path:
        return self._staging / table / f"{PARTITION}={date}" / "part.arrow"

    def _merge_events(self, date: str) -> None:
        new = self._fresh("events", date)
        last = last_rows(new, KEYS["events"])
        repeated = len(last) < new.num_rows  # else every staged row survives
        new = new.take(last) if repeated else new
        ids, occurrences = _flat(new["event_id"]), _flat(new[OCC])
        merged = {}
        for name in LOG_TABLES:
            fresh = self._fresh(name, date)
            if fresh is not None:
                if repeated:
                    fresh = fresh.filter(pc.is_in(fresh[OCC], value_set=occurrences))
                fresh = fresh.drop_columns([OCC])
            folder = self.root / name / f"{PARTITION}={date}"
            old = _read_partition(folder, SCHEMAS[name])
            if old is not None:
                old = old.filter(pc.invert(pc.is_in(old["event_id"], value_set=ids)))
            parts = [t.cast(SCHEMAS[name]) for t in (old, fresh) if t is not None]
            if parts:
                merged[name] = pa.concat_tables(parts)
        tables = sort_tables(merged)
        folders = [self.root / name / f"{PARTITION}={date}" for name in tables]
        with ThreadPoolExecutor(os.cpu_count()) as pool:  # writing releases the GIL
            list(pool.map(_replace_partition, folders, tables.values()))

    def _merge_jobs(self, date: str) -> None:
        folder = self.root / "job_status" / f"{PARTITION}={date}"
        old = _read_partition(folder, SCHEMAS["job_status"])
        new = self._fresh("job_status", date).cast(SCHEMAS["job_status"])
        merged = new if old is None else pa.concat_tables([old, new])
        merged = merged.take(last_rows(merged, KEYS["job_status"]))
        _replace_partition(folder, sort_table("job_status", merged))


def _refuse_mix(root: Path, pseudonymized: dict[str, Any] | None) -> None:
    """A dataset is pseudonymized throughout or not at all."""
    previous = _previous_manifest(root)
    held = bool(previous.get("pseudonymized"))
    if held != bool(pseudonymized) and any(previous.get("row_counts", {}).values()):
        was, now = ("", "not ") if held else ("not ", "")
        raise ConfigError(
            f"{root} holds a dataset that is {was}pseudonymized and these frames are "
            f"{now}pseudonymized; write them to another folder"
        )


def read_plain(
    path: str | Path,
    *,
    since: TimeBound = None,
    until: TimeBound = None,
    columns: Columns = None,
    filters: Filters = None,
) -> ProvisioningFrames:
    """Read a plain Parquet dataset folder written by provlytics into `ProvisioningFrames`
    (`provlytics.datasets.read_parquet`, `pv.read_parquet`, reads stores as well), scoped by
    `since`/`until`/`columns`/`filters` as `provlytics.scan.scan_tables` reads them (pushed
    down to the Hive partitions and Parquet files). `narrowed` is the manifest's, with a
    step for `since`/`until` when given (as `analysis.filter_frames` records it: the bounds
    as given and the UTC times they stood for).

    A dataset of an older schema version that `provlytics.upgrade` knows (version 1) is
    upgraded in memory, then scoped; any other version raises `InputError` naming both
    versions and the command that rewrites the dataset (`provlytics load <inputs> --out
    NEW_DIR`).

    Raises:
        ConfigError: a bad scope argument (naming it and its value).
    """
    root = Path(path)
    manifest = read_manifest(root)
    schema_version = manifest.get("schema_version")
    check_version(schema_version, str(root / MANIFEST))
    if schema_version == SCHEMA_VERSION:
        sources = {name: _dataset(root / name) for name in TABLE_NAMES if (root / name).is_dir()}
    else:
        sources = {name: ds.dataset(t) for name, t in _read_upgraded(root, schema_version).items()}
    first, last = scan_window(sources.get("events"), since, until)
    tables = scan_tables(sources, since=first, until=last, columns=columns, filters=filters)
    frames = ProvisioningFrames(in_order(tables), sources=manifest.get("sources", []))
    frames.pseudonymized = manifest.get("pseudonymized")
    frames.narrowed = narrowed_by(manifest.get("narrowed"), since, until, first, last)
    return frames


def _dataset(folder: Path) -> ds.Dataset:
    """One table's folder, its `activity_date` partitions read as text."""
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    return ds.dataset(folder, format="parquet", partitioning=partitioning)


def _read_upgraded(root: Path, schema_version: int) -> dict[str, pa.Table]:
    """Every table of an older schema version, upgraded to the current one."""
    tables = {}
    for name in TABLE_NAMES:
        folder = root / name
        if folder.is_dir():
            dataset = ds.dataset(folder, format="parquet", partitioning="hive")
            wanted = stored_columns(name, schema_version)
            columns = [c for c in wanted if c in dataset.schema.names]
            tables[name] = dataset.to_table(columns=columns)
    return upgrade_tables(tables, schema_version)


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a dataset folder."""
    path = Path(root) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "not a provlytics dataset (no manifest.json)") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc})") from exc


def _manifest_info(info: dict[str, Any]) -> dict[str, Any]:
    """The caller's part of the manifest, made encodable and checked by writing it once.

    Raises:
        InputError: a value that JSON cannot hold (nothing has been changed yet).
    """
    clean = dict(info)
    clean["sources"] = [printable(s) for s in info.get("sources", [])]
    clean.pop("source_ids", None)
    if ids := {printable(k): v for k, v in info.get("source_ids", {}).items()}:
        clean["source_ids"] = ids
    try:
        json.dumps(clean, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InputError("manifest.json", f"cannot be written ({exc})") from exc
    return clean


def write_manifest(
    root: Path, info: dict[str, Any], *, facts: dict[str, Any] | None = None
) -> Path:
    """Write `manifest.json` atomically, describing the whole dataset as it now is.

    `facts` (row counts and time range) are those of a store; else counted from the files.
    """
    facts = facts or {
        "row_counts": {name: _row_count(root / name) for name in TABLE_NAMES},
        "time_range": _time_range(root / "events"),
    }
    load = Listed(list(map(str, info.get("sources", []))), dict(info.get("source_ids", {})))
    sources = merged_sources(listed_sources(root), load)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": version("provlytics"),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": sources.names,
        **({"source_ids": sources.ids} if sources.ids else {}),
        **facts,
        **{k: v for k, v in info.items() if k not in ("sources", "source_ids")},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace")
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_bytes(text)
    private_file(tmp)
    os.replace(tmp, root / MANIFEST)
    return root / MANIFEST


def _refuse_other_version(root: Path) -> None:
    """Raise `InputError` if `root` holds a dataset of another schema version: merging into
    it would mix two layouts."""
    version = _previous_manifest(root).get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InputError(str(root / MANIFEST), f"cannot add to it: {version_message(version)}")


def _previous_manifest(root: Path) -> dict[str, Any]:
    try:
        return read_manifest(root)
    except InputError:
        return {}


def _partitions(
    tables: dict[str, pa.RecordBatch | pa.Table],
) -> Iterator[tuple[str, str, pa.Table]]:
    """(table, date, rows) of each partition the tables' rows fall in (children go with
    their parent event's date)."""
    events = tables.get("events")
    parents = _dates(events, "activity_time") if events is not None else None
    for name, batch in tables.items():
        if batch.num_rows == 0:
            continue
        if name in TIME_COLUMNS:
            dates = _dates(batch, TIME_COLUMNS[name])
        else:
            dates = _child_dates(batch, events, parents)
        for date, part in _date_parts(batch, dates):
            yield name, date, _as_table(part)


def _date_parts(
    batch: pa.RecordBatch | pa.Table, dates: pa.Array
) -> Iterator[tuple[str, pa.RecordBatch | pa.Table]]:
    """The rows of each date: slices where each date's rows are together (sorted frames),
    else filtered copies."""
    dates = _flat(dates)
    runs = pc.run_end_encode(dates)
    values = runs.values.to_pylist()
    if len(values) == len(set(values)):
        starts = [0, *runs.run_ends.to_pylist()]
        for date, start, end in zip(values, starts, starts[1:], strict=False):
            yield date, batch.slice(start, end - start)
        return
    for date in pc.unique(dates).to_pylist():
        yield date, batch.filter(pc.equal(dates, date))


def _dates(batch: pa.RecordBatch | pa.Table, column: str) -> pa.Array:
    text = batch[column].cast(pa.date32()).cast(pa.string())  # UTC times: the UTC date
    return pc.fill_null(_flat(text), _UNKNOWN_DATE)


def _child_dates(
    batch: pa.RecordBatch | pa.Table,
    events: pa.RecordBatch | pa.Table | None,
    parents: pa.Array | None,
) -> pa.Array:
    if events is None or parents is None:
        return pa.array([_UNKNOWN_DATE] * batch.num_rows, pa.string())
    where = pc.index_in(batch["event_id"], value_set=_flat(events["event_id"]))
    return pc.fill_null(pc.take(parents, where), _UNKNOWN_DATE)


def _read_partition(folder: Path, schema: pa.Schema) -> pa.Table | None:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    return pa.concat_tables(pq.read_table(f, schema=schema) for f in files)


def _replace_partition(folder: Path, table: pa.Table) -> None:
    private_dirs(folder)
    tmp = folder / ".part-0.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
    private_file(tmp)
    for old in folder.glob("*.parquet"):
        if old.name != "part-0.parquet":
            old.unlink()
    os.replace(tmp, folder / "part-0.parquet")


def _row_count(folder: Path) -> int:
    return sum(pq.read_metadata(f).num_rows for f in folder.rglob("*.parquet"))


def _time_range(folder: Path) -> dict[str, str | None]:
    if not folder.is_dir():
        return {"start": None, "end": None}
    times = ds.dataset(folder, format="parquet", partitioning="hive").to_table(
        columns=["activity_time"]
    )["activity_time"]
    bounds = pc.min_max(times).as_py() if len(times) else {"min": None, "max": None}
    start, end = bounds["min"], bounds["max"]
    return {"start": start and start.isoformat(), "end": end and end.isoformat()}


def _as_table(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    return pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch


def _flat(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
