"""The tables' canonical order (`tables.sort_tables`), paid for only when rows are not in it.

A store or snapshot is written in that order within each `activity_date` partition, and
`scan.by_date` reads partitions in date order, so the tables usually arrive in order:
checking costs a few comparisons of neighbouring rows, sorting a copy of every column (for
1M events with 4M steps, about 5 s and 1.9 GB more at peak). A table found out of order is
sorted as `sort_tables` sorts it, so the result is the same either way.
"""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.schema import KEYS, TIME_COLUMNS
from provlytics.tables import CHILD_TABLES, sort_table, sort_tables

logger = logging.getLogger(__name__)

_POOL = pa.system_memory_pool()  # transient buffers go back to the system (see scan.py)


def in_order(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables in canonical order: events and errors by time, then id; job snapshots by
    time, then job; steps and modified properties in their event's order, then their own
    index (children of no event at the end, as `sort_tables` puts them)."""
    out = {}
    for name, table in tables.items():
        if name in CHILD_TABLES:
            continue
        time = TIME_COLUMNS.get(name)
        columns = ([time] if time else []) + [k for k in KEYS[name] if k != time]
        out[name] = table if _sorted(table, columns) else _sorted_now(name, table)
    events = out.get("events")
    for name in CHILD_TABLES:
        if name not in tables:
            continue
        table = tables[name]
        if events is None:
            out[name] = sort_table(name, table)
        elif not _follows(table, events, KEYS[name][1]):
            logger.debug("%s out of order: sorting %d rows", name, table.num_rows)
            out[name] = sort_tables({"events": events, name: table})[name]
        else:
            out[name] = table
    return {name: out[name] for name in tables}


def _sorted_now(name: str, table: pa.Table) -> pa.Table:
    logger.debug("%s out of order: sorting %d rows", name, table.num_rows)
    return sort_table(name, table)


def _sorted(table: pa.Table, columns: list[str]) -> bool:
    """Whether rows ascend by `columns` (lexicographically); False when a sort column has
    nulls (sorting then decides where they go)."""
    if table.num_rows < 2:
        return True
    decided = tied = None
    for column in columns:
        values = table[column]
        if values.null_count:
            return False
        before, after = values.slice(0, len(values) - 1), values.slice(1)
        less, equal = (
            pc.less(before, after, memory_pool=_POOL),
            pc.equal(before, after, memory_pool=_POOL),
        )
        if tied is None:
            decided, tied = less, equal
        else:
            decided, tied = pc.or_(decided, pc.and_(tied, less)), pc.and_(tied, equal)
    return bool(pc.all(pc.or_(decided, tied)).as_py())


def _follows(children: pa.Table, events: pa.Table, position: str) -> bool:
    """Whether each event's children are together, in the events' order, by `position`."""
    if children.num_rows < 2:
        return children.num_rows == 0 or _known(children["event_id"], events)
    ids, positions = children["event_id"], children[position]
    if ids.null_count or positions.null_count:
        return False
    n = children.num_rows
    changed = pc.not_equal(ids.slice(0, n - 1), ids.slice(1))
    ascending = pc.less(positions.slice(0, n - 1), positions.slice(1))
    if not pc.all(pc.or_(changed, ascending)).as_py():
        return False
    starts = pa.chunked_array([ids.slice(0, 1), *pc.filter(ids.slice(1), changed).chunks])
    if len(starts) == events.num_rows:  # every event has children: compare, no hashing
        return bool(pc.all(pc.equal(starts, events["event_id"], memory_pool=_POOL)).as_py())
    parents = pc.index_in(
        starts, value_set=events["event_id"].combine_chunks(_POOL), memory_pool=_POOL
    )
    if parents.null_count:
        return False
    return len(parents) < 2 or bool(
        pc.all(pc.less(parents.slice(0, len(parents) - 1), parents.slice(1))).as_py()
    )


def _known(ids: pa.ChunkedArray, events: pa.Table) -> bool:
    return not pc.index_in(ids, value_set=events["event_id"].combine_chunks()).null_count
