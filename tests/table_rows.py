"""Every row of a normalized page, for the tests that hold a typed decoder to the general
path's rows exactly."""

from __future__ import annotations

from typing import Any

from provlytics.normalize.batch import PageTables
from provlytics.schema import LOG_TABLES


def rows_of(tables: PageTables) -> dict[str, Any]:
    """Every row of every table, exactly (the JSON text of `extra` and details included),
    the record each came from, the rejects and the records count."""
    rows: dict[str, Any] = {k: list(v) for k, v in tables.record_index.items()}
    for name in LOG_TABLES:
        rows[name] = tables.batches[name].to_pylist()
    rows["rejects"] = [(r.origin, r.field, r.reason) for r in tables.rejects]
    rows["records"] = tables.records
    return rows
