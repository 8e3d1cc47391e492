"""The tables of a store or snapshot folder, read piecemeal for one analysis helper.

A helper given a path (`access.on_path`) gets a `PathTables` in place of the frames; each
`access.table(frames, name, columns, reads=..., where=...)` then reads only that table,
only the `reads` columns, and only the rows `where` keeps (pushed into the Parquet scan:
`provlytics.scan.read_table`), as the same pandas DataFrame the frames path would give for
those rows and columns (`pv.read_parquet`'s dtypes and canonical row order,
`provlytics.order.in_order`). So memory follows what the helper asks for, not the store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.order import in_order
from provlytics.scan import by_date, read_table
from provlytics.schema import KEYS, SCHEMAS, TIME_COLUMNS
from provlytics.tables import CHILD_TABLES, ProvisioningFrames

logger = logging.getLogger(__name__)

_POOL = pa.system_memory_pool()  # batches go back to the system once freed (see scan.py)


class PathTables:
    """The tables of the store (latest version) or snapshot at `path`, read on demand.

    `narrowed` is the scope a snapshot was narrowed to (its manifest's `narrowed`, as
    `pv.read_parquet` gives it; None for a store or a snapshot never narrowed), so that a
    helper on the path judges it as on the frames read from it (`alerts` cuts to it).

    Raises:
        InputError: the folder is neither a store nor a snapshot written by provlytics
            (`provlytics.table_files.open_tables`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from provlytics.table_files import open_tables  # the store's imports: only when used

        self.path = Path(path)
        self._sources = {name: by_date(d) for name, d in open_tables(self.path).items()}
        self.narrowed = _narrowed(self.path)
        self._read: dict[tuple[str, tuple[str, ...], bool], pd.DataFrame] = {}

    def columns(self, name: str) -> list[str]:
        """The columns of table `name` (its schema's; a table never written has them too)."""
        return SCHEMAS[name].names

    def frame(
        self,
        name: str,
        columns: Sequence[str],
        where: ds.Expression | None = None,
        *,
        ordered: bool = True,
    ) -> pd.DataFrame:
        """Table `name`'s rows that satisfy `where`, its `columns` (all when empty) as
        `ProvisioningFrames` gives them (Arrow-backed nullable dtypes).

        Args:
            name: events, steps, modified_properties, errors or job_status.
            columns: the columns to read (schema order); unknown ones are left out.
            where: a filter over the table's columns, or None.
            ordered: the rows in canonical order (`tables.sort_tables`: the key and time
                columns are read for it; children in their events' order, read from the
                events of those rows); False: in file order, only `columns` read.
        """
        key = (name, tuple(columns), ordered)
        if where is None and key in self._read:
            return self._read[key]
        wanted = list(columns) or SCHEMAS[name].names
        if ordered:
            wanted += [*KEYS[name], *([TIME_COLUMNS[name]] if name in TIME_COLUMNS else [])]
        table = read_table(self._sources.get(name), name, wanted, where)
        if ordered:
            table = self._ordered(name, table, where is not None)
        logger.debug("%s: read %d rows of %s", self.path, table.num_rows, name)
        frame = getattr(ProvisioningFrames({name: table}), name)
        if where is None:
            self._read[key] = frame
        return frame

    def span(self, name: str, column: str) -> tuple[Any, Any]:
        """The smallest and largest non-null value of one column (None, None when it has
        none), from a scan batch by batch: memory of a batch, not of the column."""
        source = self._sources.get(name)
        if source is None or column not in source.schema.names:
            return None, None
        lows, highs = [], []
        for batch in source.to_batches(columns=[column], memory_pool=_POOL):
            bounds = pc.min_max(batch.column(0)).as_py()
            if bounds["min"] is not None:
                lows.append(bounds["min"])
                highs.append(bounds["max"])
        logger.debug("%s: %s.%s spans %d batches", self.path, name, column, len(lows))
        return (min(lows), max(highs)) if lows else (None, None)

    def _ordered(self, name: str, table: pa.Table, scoped: bool) -> pa.Table:
        """`table` in canonical order; children after their events (the events of these rows
        only, when the rows were filtered)."""
        if name not in CHILD_TABLES:
            return in_order({name: table})[name]
        where = None
        if scoped:
            where = ds.field("event_id").isin(pc.unique(table["event_id"].combine_chunks()))
        events = read_table(
            self._sources.get("events"), "events", ["event_id", "activity_time"], where
        )
        return in_order({"events": events, name: table})[name]


def _narrowed(path: Path) -> list[dict[str, Any]] | None:
    """The `narrowed` steps of the snapshot manifest at `path` (None for a store)."""
    from provlytics.parquet import read_manifest
    from provlytics.store import is_store

    return None if is_store(path) else read_manifest(path).get("narrowed")
