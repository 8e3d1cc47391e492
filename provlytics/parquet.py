"""The Parquet dataset: a folder per table, Hive-partitioned by `activity_date`, zstd, and a
`manifest.json` written last. Writing merges into what is there: an event already present
(same `event_id`) is replaced with its steps, properties and error, never duplicated.

Batches are first streamed to a staging folder; nothing in the dataset changes until
`commit()`, so a failed load leaves the dataset as it was.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from provlytics.errors import InputError
from provlytics.schema import KEYS, SCHEMA_VERSION, SCHEMAS, TABLE_NAMES
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PARTITION = "activity_date"
_TIME_COLUMN = {"events": "activity_time", "errors": "activity_time", "job_status": "observed_time"}
_CHILDREN = ("steps", "modified_properties", "errors")
_UNKNOWN_DATE = "unknown"


class DatasetWriter:
    """Streams table batches into a dataset folder; `commit()` merges them in atomically."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._staging = self.root / f".staging-{uuid.uuid4().hex}"
        self._writers: dict[tuple[str, str], pq.ParquetWriter] = {}

    def write(self, batches: dict[str, pa.RecordBatch | pa.Table]) -> None:
        """Stage one set of batches (children are dated by their event in the same set)."""
        events = batches.get("events")
        parents = _dates(events, "activity_time") if events is not None else None
        for name, batch in batches.items():
            if batch.num_rows == 0:
                continue
            if name in _TIME_COLUMN:
                dates = _dates(batch, _TIME_COLUMN[name])
            else:
                dates = _child_dates(batch, events, parents)
            for date in pc.unique(dates).to_pylist():
                part = batch.filter(pc.equal(dates, date))
                self._writer(name, date).write(_as_table(part, SCHEMAS[name]))

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Merge the staged partitions into the dataset, then write the manifest."""
        for writer in self._writers.values():
            writer.close()
        for date in sorted({d for t, d in self._writers if t != "job_status"}):
            replaced = self._merge("events", date, None)
            for name in _CHILDREN:
                self._merge(name, date, replaced)
        for date in sorted({d for t, d in self._writers if t == "job_status"}):
            self._merge("job_status", date, None)
        shutil.rmtree(self._staging, ignore_errors=True)
        self._writers.clear()
        return write_manifest(self.root, manifest)

    def abort(self) -> None:
        """Drop everything staged; the dataset stays as it was."""
        for writer in self._writers.values():
            writer.close()
        shutil.rmtree(self._staging, ignore_errors=True)
        self._writers.clear()

    def _writer(self, table: str, date: str) -> pq.ParquetWriter:
        if (table, date) not in self._writers:
            path = self._staging / table / f"{PARTITION}={date}" / "part.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[table, date] = pq.ParquetWriter(path, SCHEMAS[table], compression="zstd")
        return self._writers[table, date]

    def _merge(self, table: str, date: str, replaced: pa.Array | None) -> pa.Array | None:
        staged = self._staging / table / f"{PARTITION}={date}" / "part.parquet"
        if not staged.exists():
            return None
        new = pq.read_table(staged, schema=SCHEMAS[table])
        final_dir = self.root / table / f"{PARTITION}={date}"
        old = _read_partition(final_dir, SCHEMAS[table])
        if old is not None and replaced is not None and old.num_rows:
            old = old.filter(pc.invert(pc.is_in(old["event_id"], value_set=replaced)))
        merged = new if old is None else pa.concat_tables([old, new])
        merged = _keep_last(merged, table)
        _replace_partition(final_dir, merged)
        return new["event_id"].combine_chunks() if table == "events" else None


def write_dataset(frames: ProvisioningFrames, path: str | Path) -> Path:
    """Write (or merge) in-memory frames into a dataset folder; returns the folder."""
    writer = DatasetWriter(path)
    try:
        writer.write({name: frames.table(name) for name in TABLE_NAMES})
    except BaseException:
        writer.abort()
        raise
    writer.commit(
        {
            "sources": frames.sources,
            "records_read": frames.records_read,
            "records_rejected": len(frames.rejected),
        }
    )
    return Path(path)


def read_dataset(path: str | Path) -> ProvisioningFrames:
    """Read a dataset folder written by provlytics back into `ProvisioningFrames`."""
    root = Path(path)
    manifest = read_manifest(root)
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            str(root / MANIFEST),
            f"schema version {manifest.get('schema_version')!r}; "
            f"this provlytics reads version {SCHEMA_VERSION}",
        )
    tables = {}
    for name in TABLE_NAMES:
        folder = root / name
        if folder.is_dir():
            dataset = ds.dataset(folder, format="parquet", partitioning="hive")
            tables[name] = dataset.to_table(columns=SCHEMAS[name].names).cast(SCHEMAS[name])
    return ProvisioningFrames(tables, sources=manifest.get("sources", []))


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a dataset folder."""
    path = Path(root) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "not a provlytics dataset (no manifest.json)") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc})") from exc


def write_manifest(root: Path, info: dict[str, Any]) -> Path:
    """Write `manifest.json` atomically, describing the whole dataset as it now is."""
    previous = _previous_manifest(root)
    sources = list(
        dict.fromkeys([*previous.get("sources", []), *map(str, info.get("sources", []))])
    )
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": version("provlytics"),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": sources,
        "row_counts": {name: _row_count(root / name) for name in TABLE_NAMES},
        "time_range": _time_range(root / "events"),
        **{k: v for k, v in info.items() if k != "sources"},
    }
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)
    return root / MANIFEST


def _previous_manifest(root: Path) -> dict[str, Any]:
    try:
        return read_manifest(root)
    except InputError:
        return {}


def _dates(batch: pa.RecordBatch | pa.Table, column: str) -> pa.Array:
    times = batch[column]
    text = pc.strftime(times, format="%Y-%m-%d") if len(times) else pa.array([], pa.string())
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


def _keep_last(table: pa.Table, name: str) -> pa.Table:
    """One row per key (the last one), sorted by time and key."""
    keys = list(KEYS[name])
    numbered = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by(keys, use_threads=False).aggregate([("__row", "max")])
    kept = table.take(pc.sort_indices(last["__row_max"]))
    time = _TIME_COLUMN.get(name)
    columns = ([time] if time else []) + [k for k in keys if k != time]
    return kept.sort_by([(c, "ascending") for c in columns])


def _read_partition(folder: Path, schema: pa.Schema) -> pa.Table | None:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    return pa.concat_tables(pq.read_table(f, schema=schema) for f in files)


def _replace_partition(folder: Path, table: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".part-0.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
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


def _as_table(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.Table:
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    return table.select(schema.names).cast(schema)


def _flat(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
