"""`ProvisioningFrames`: the canonical tables, held as Arrow and handed out as pandas."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.normalize.batch import PageTables, Reject
from provlytics.schema import KEYS, LOG_TABLES, REJECT_COLUMNS, SCHEMAS, TABLE_NAMES, TIME_COLUMNS

if TYPE_CHECKING:  # imported when a frame is built: worker processes need this module, not pandas
    import pandas as pd

OCC = "__occ"
CHILD_TABLES = ("steps", "modified_properties")
_ROW = "__row"


@cache
def _pandas_types() -> dict[pa.DataType, Any]:
    """The pandas dtype of each Arrow type of the tables (nullable, Arrow-backed strings)."""
    import pandas as pd

    return {
        pa.string(): pd.StringDtype("pyarrow"),
        pa.int64(): pd.Int64Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }


class ProvisioningFrames:
    """The related tables of one load: events, steps, modified_properties, errors, job_status.

    Attributes are pandas DataFrames (nullable, Arrow-backed dtypes), built on first access;
    `table(name)` gives the Arrow table. `rejects` lists records set aside in collect mode.
    `pseudonymized` is None, or what `pseudonymize` replaced (written to the manifest).
    `narrowed` is None, or the steps `analysis.filter_frames` narrowed them by, in order
    (written to the manifest; read back from a snapshot's).
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
        self._unsorted: set[str] = set()  # put in canonical order on first access
        self._frames: dict[str, pd.DataFrame] = {}
        self.sources = list(sources)
        self.rejected = list(rejects)
        self.records_read = records_read
        self.pseudonymized: dict[str, Any] | None = None
        self.narrowed: list[dict[str, Any]] | None = None

    def table(self, name: str) -> pa.Table:
        """One table as Arrow, in canonical order (`sort_tables`)."""
        if name in self._unsorted:
            self._unsorted.discard(name)
            table = self._tables[name]
            if name in CHILD_TABLES:
                self._tables[name] = _after(self.table("events"), name, table)
            else:
                self._tables[name] = sort_table(name, table)
        return self._tables[name]

    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self.table(name).to_pandas(types_mapper=_pandas_types().get)
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
        """Records that could not be read (collect mode): columns `origin` (as the message
        names it, record numbers counted from 1), `field`, `reason`, `record` (its raw
        text); see `docs/schema.md`, section "rejects"."""
        import pandas as pd

        rows = [(r.origin, r.field, r.reason, r.record) for r in self.rejected]
        return pd.DataFrame(rows, columns=list(REJECT_COLUMNS))

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: t.num_rows for name, t in self._tables.items()}

    def to_parquet(self, path: str | Path, *, store: bool = False) -> Path:
        """Write a plain Parquet snapshot into a new folder, or merge into a store (or a
        plain dataset) already there; `store=True` makes a new folder a store. See
        `provlytics.datasets`."""
        from provlytics.datasets import write_dataset

        return write_dataset(self, path, store=store)

    def pseudonymize(self, key: bytes | str) -> ProvisioningFrames:
        """These tables with personal values replaced by keyed HMAC-SHA256 tokens; see
        `provlytics.privacy.pseudonymize` (which columns, how, `ConfigError` on a short key).
        """
        from provlytics.privacy import pseudonymize

        return pseudonymize(self, key)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"<ProvisioningFrames {counts}>"


class FramesBuilder:
    """Collects normalized pages (and job rows) into de-duplicated `ProvisioningFrames`."""

    def __init__(self) -> None:
        self._batches: dict[str, list[pa.RecordBatch]] = {n: [] for n in TABLE_NAMES}
        self._rejects: list[Reject] = []
        self._records = 0
        self._occurrences = 0
        self._sources: dict[str, None] = {}

    def add(self, page: PageTables, source: str | None = None) -> None:
        """Add one normalized page."""
        for name, batch in tag_occurrences(page, self._occurrences).items():
            self._batches[name].append(batch)
        self._occurrences += page.batches["events"].num_rows
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
        """The de-duplicated frames (the last occurrence of an event wins, with its children).

        Nothing is copied when no event id repeats (one hash pass tells); each table is put
        in canonical order when first asked for, so tables never looked at cost nothing.
        """
        tables = {}
        for name, batches in self._batches.items():
            schema = SCHEMAS[name] if name == "job_status" else occurrence_schema(name)
            tables[name] = pa.Table.from_batches(batches, schema=schema)
        tables = keep_last(tables)
        tables["job_status"] = _last_snapshots(tables["job_status"])
        frames = ProvisioningFrames(
            tables, sources=self._sources, rejects=self._rejects, records_read=self._records
        )
        frames._unsorted = set(TABLE_NAMES)
        return frames


def tag_occurrences(page: PageTables, first: int) -> dict[str, pa.RecordBatch]:
    """Number each event row (from `first`) and give every child row its parent's number.

    The number (`__occ`) tells two copies of the same event apart, so that the last copy
    wins together with its own steps, properties and error row.
    """
    events = page.batches["events"]
    numbers = np.arange(first, first + events.num_rows, dtype=np.int64)
    records = np.asarray(page.record_index["events"], np.int64)
    by_record = np.zeros(int(records.max()) + 1 if len(records) else 0, np.int64)
    by_record[records] = numbers
    tagged = {}
    for name, batch in page.batches.items():
        rows = page.record_index[name]
        occ = numbers if name == "events" else by_record[np.asarray(rows, np.int64)]
        tagged[name] = pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(occ)], schema=occurrence_schema(name)
        )
    return tagged


def deduplicate(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Keep the last occurrence of each event, with the children of that occurrence only,
    and the last snapshot of each job; sorted (`sort_tables`).

    Log tables carry the `__occ` column of `tag_occurrences`; it is dropped here.
    """
    out = keep_last(tables)
    out["job_status"] = _last_snapshots(out["job_status"])
    return sort_tables(out)


def _last_snapshots(jobs: pa.Table) -> pa.Table:
    """The last row of each job-status key (the table itself when no key repeats)."""
    last = last_rows(jobs, KEYS["job_status"])
    return jobs if len(last) == jobs.num_rows else jobs.take(last)


def keep_last(tables: dict[str, Any]) -> dict[str, Any]:
    """The log tables (Arrow tables or batches with `__occ`) with each event once: its last
    occurrence and that occurrence's children; `__occ` dropped, other tables as given.

    Whether ids repeat is checked first (one hash pass over `event_id`); when they do not,
    nothing is copied.
    """
    events = tables["events"]
    if events.num_rows > 1 and len(pc.unique(events["event_id"])) < events.num_rows:
        events = events.take(last_rows(events, KEYS["events"]))
        survivors = _flat(events[OCC])
        tables = dict(tables, events=events)
        for name in LOG_TABLES[1:]:
            table = tables[name]
            tables[name] = table.filter(pc.is_in(table[OCC], value_set=survivors))
    return {n: t.drop_columns([OCC]) if OCC in t.column_names else t for n, t in tables.items()}


def _flat(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def last_rows(table: pa.Table, keys: tuple[str, ...]) -> pa.Array:
    """Row numbers of the last row of each key, in table order."""
    if table.num_rows == 0:
        return pa.array([], pa.int64())
    numbered = table.select(list(keys)).append_column(_ROW, pa.array(range(table.num_rows)))
    last = numbered.group_by(list(keys), use_threads=False).aggregate([(_ROW, "max")])
    rows = last[f"{_ROW}_max"].combine_chunks()
    return pc.take(rows, pc.sort_indices(rows))


def sort_tables(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Tables in their canonical order: events and errors by time, then id; steps and
    modified properties in their parent event's order, then their own; job snapshots by
    job, then time."""
    out = {name: sort_table(name, t) for name, t in tables.items() if name not in CHILD_TABLES}
    events = out.get("events")
    for name in CHILD_TABLES:
        if name in tables:
            table = tables[name]
            out[name] = sort_table(name, table) if events is None else _after(events, name, table)
    return {name: out[name] for name in tables}


def sort_table(name: str, table: pa.Table) -> pa.Table:
    """One table by time where it has one, then by key."""
    time = TIME_COLUMNS.get(name)
    columns = ([time] if time else []) + [k for k in KEYS[name] if k != time]
    if not table.num_rows:
        return table
    return _taken(table, pc.sort_indices(table, [(c, "ascending") for c in columns]))


def _after(events: pa.Table, name: str, children: pa.Table) -> pa.Table:
    """Child rows in the order of their parent events, then by position."""
    if not children.num_rows:
        return children
    parent = pc.index_in(children["event_id"], value_set=events["event_id"].combine_chunks())
    keys = pa.table({"parent": parent, "position": children[KEYS[name][1]]})
    order = pc.sort_indices(keys, [("parent", "ascending"), ("position", "ascending")])
    return _taken(children, order)


def _taken(table: pa.Table, order: pa.Array) -> pa.Table:
    """The rows in `order`, a permutation; the table itself (no copy) if already in order."""
    if len(order) < 2 or pc.all(pc.greater(order[1:], order[:-1])).as_py():
        return table
    # one chunk per column first: `take` across chunks is several times slower
    with ThreadPoolExecutor(os.cpu_count()) as pool:  # `take` releases the GIL
        columns = pool.map(lambda column: column.combine_chunks().take(order), table.columns)
        return pa.Table.from_arrays(list(columns), schema=table.schema)


def occurrence_schema(name: str) -> pa.Schema:
    """A log table's schema with the internal `__occ` column."""
    return SCHEMAS[name].append(pa.field(OCC, pa.int64()))
