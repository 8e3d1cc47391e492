"""What both sides of the store share: its names and constants, its errors, and the small
helpers that turn rows into a table's partitioned layout (see `provlytics.store`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.dataset_files import MANIFEST
from provlytics.errors import InputError, ProvlyticsError
from provlytics.schema import SCHEMAS

LOCK = ".provlytics.lock"
STAGING = ".staging-"
PARTITION = "activity_date"
VERSIONS = "provlytics.versions"
INFO = "provlytics.info"
CHILDREN = ("steps", "modified_properties", "errors")
OTHERS = (*CHILDREN, "job_status")  # every table the events commit names a version of
LOCK_TIMEOUT = 600.0
_UNKNOWN_DATE = "unknown"


class StoreBusyError(ProvlyticsError):
    """Another process is writing the store and did not finish within the timeout."""


class StoreWriteError(ProvlyticsError):
    """Writing the store failed (a full disk, permissions); the store is as it was."""


def require_retention_store(root: Path) -> None:
    """Raise `InputError` unless `root` is a store that has loaded (its events table): a
    snapshot keeps no replaced versions, so it has no retention."""
    if _exists(root / "events"):
        return
    if (root / MANIFEST).is_file():
        raise InputError(
            str(root),
            "a snapshot (plain Parquet, no versions): it keeps no replaced versions, so it "
            "has no retention; only a store has one (provlytics load --out, "
            "pv.load_to_parquet)",
        )
    raise InputError(str(root), "not a provlytics store (load into it first)")


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
