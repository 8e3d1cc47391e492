"""`ProvisioningFrames`: the canonical tables, held as Arrow and handed out as pandas."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize.batch import PageTables, Reject
from provlytics.schema import KEYS, LOG_TABLES, SCHEMAS, TABLE_NAMES

_GEN = "__gen"
_ROW = "__row"
_PANDAS_TYPES = {
    pa.string(): pd.StringDtype("pyarrow"),
    pa.int64(): pd.Int64Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}
REJECT_COLUMNS = ["origin", "field", "reason", "record"]


class ProvisioningFrames:
    """The related tables of one load: events, steps, modified_properties, errors, job_status.

    Attributes are pandas DataFrames (nullable, Arrow-backed dtypes), built on first access;
    `table(name)` gives the Arrow table. `rejects` lists records set aside in collect mode.
    """

    def __init__(
        self,
        tables: dict[str, pa.Table] | None = None,
        *,
        sources: Iterable[str] = (),
        rejects: Iterable[Reject] = (),
        records_read: int = 0,
    ) -> None:
        tables = tables or {}
        self._tables = {n: tables.get(n, SCHEMAS[n].empty_table()) for n in TABLE_NAMES}
        self._frames: dict[str, pd.DataFrame] = {}
        self.sources = list(sources)
        self.rejected = list(rejects)
        self.records_read = records_read

    def table(self, name: str) -> pa.Table:
        """One table as Arrow."""
        return self._tables[name]

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self._tables[name].to_pandas(types_mapper=_PANDAS_TYPES.get)
        return self._frames[name]

    events = property(lambda self: self._frame("events"), doc="One row per event.")
    steps = property(lambda self: self._frame("steps"), doc="One row per step.")
    modified_properties = property(
        lambda self: self._frame("modified_properties"), doc="One row per changed attribute."
    )
    errors = property(lambda self: self._frame("errors"), doc="One row per failed/warned event.")
    job_status = property(lambda self: self._frame("job_status"), doc="One row per job snapshot.")

    @property
    def rejects(self) -> pd.DataFrame:
        """Records that could not be read (collect mode), with origin and reason."""
        rows = [(r.origin, r.field, r.reason, r.record) for r in self.rejected]
        return pd.DataFrame(rows, columns=REJECT_COLUMNS)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: t.num_rows for name, t in self._tables.items()}

    def to_parquet(self, path: str | Path) -> Path:
        """Write (or merge into) a Parquet dataset folder; see `provlytics.parquet`."""
        from provlytics.parquet import write_dataset

        return write_dataset(self, path)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"<ProvisioningFrames {counts}>"


class FramesBuilder:
    """Collects normalized pages (and job rows) into de-duplicated `ProvisioningFrames`."""

    def __init__(self) -> None:
        self._batches: dict[str, list[pa.RecordBatch]] = {n: [] for n in TABLE_NAMES}
        self._rejects: list[Reject] = []
        self._records = 0
        self._sources: dict[str, None] = {}

    def add(self, page: PageTables, source: str | None = None) -> None:
        """Add one normalized page."""
        gen = len(self._batches["events"])
        for name, batch in page.batches.items():
            self._batches[name].append(_with_generation(batch, gen))
        self._rejects += page.rejects
        self._records += page.records
        if source:
            self._sources[source] = None

    def add_jobs(self, batch: pa.RecordBatch, source: str | None = None) -> None:
        """Add job-status rows."""
        self._batches["job_status"].append(batch)
        if source:
            self._sources[source] = None

    def build(self) -> ProvisioningFrames:
        """The de-duplicated frames (last occurrence of a key wins)."""
        tables = {}
        for name, batches in self._batches.items():
            schema = SCHEMAS[name] if name == "job_status" else _gen_schema(name)
            tables[name] = pa.Table.from_batches(batches, schema=schema)
        tables = deduplicate(tables)
        return ProvisioningFrames(
            tables, sources=self._sources, rejects=self._rejects, records_read=self._records
        )


def deduplicate(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Keep the last occurrence of each event, with the children of that occurrence only.

    Log tables carry a `__gen` column (which page a row came from); it is dropped here.
    """
    events = tables["events"]
    if pc.count_distinct(events["event_id"]).as_py() < events.num_rows:
        events = events.take(_last_rows(events, KEYS["events"]))
        survivors = events.select(["event_id", _GEN])
        for name in LOG_TABLES[1:]:
            kept = tables[name].join(survivors, ["event_id", _GEN], join_type="left semi")
            tables[name] = kept.take(_last_rows(kept, KEYS[name]))
        tables["events"] = events
    out = {n: t.drop_columns([_GEN]) if _GEN in t.column_names else t for n, t in tables.items()}
    jobs = out["job_status"]
    out["job_status"] = jobs.take(_last_rows(jobs, KEYS["job_status"]))
    return {n: _sorted(n, t) for n, t in out.items()}


def _last_rows(table: pa.Table, keys: tuple[str, ...]) -> pa.Array:
    if table.num_rows == 0:
        return pa.array([], pa.int64())
    numbered = table.select(list(keys)).append_column(_ROW, pa.array(range(table.num_rows)))
    last = numbered.group_by(list(keys), use_threads=False).aggregate([(_ROW, "max")])
    return pc.sort_indices(last[f"{_ROW}_max"])


def _sorted(name: str, table: pa.Table) -> pa.Table:
    time = {"events": "activity_time", "errors": "activity_time", "job_status": "observed_time"}
    order = [(time[name], "ascending")] if name in time else []
    order += [(k, "ascending") for k in KEYS[name] if (k, "ascending") not in order]
    return table.sort_by(order) if table.num_rows else table


def _with_generation(batch: pa.RecordBatch, gen: int) -> pa.RecordBatch:
    column = pa.array([gen] * batch.num_rows, pa.int32())
    return pa.RecordBatch.from_arrays([*batch.columns, column], schema=_gen_schema(batch.schema))


def _gen_schema(name_or_schema: str | pa.Schema) -> pa.Schema:
    schema = SCHEMAS[name_or_schema] if isinstance(name_or_schema, str) else name_or_schema
    return schema.append(pa.field(_GEN, pa.int32()))
