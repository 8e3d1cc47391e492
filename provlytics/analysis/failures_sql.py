"""`failure_summary` over a store or snapshot folder, computed by DuckDB out of core.

DuckDB scans the `errors` table's Parquet files (`provlytics.table_files.open_tables`),
reading only the grouped and aggregated columns and the rows of the statuses asked for, under
`SET memory_limit` (spilling to a temporary folder beyond it); the events count comes from the
files' metadata. Only the summary (one row per group) becomes pandas, so memory is bounded by
the groups, not by the events. Same result as the frames version (`failures.failure_summary`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from provlytics.analysis.columns import STR, empty, largest_first, typed
from provlytics.analysis.selection import PROBLEMS, check_status
from provlytics.errors import ConfigError
from provlytics.schema import SCHEMAS
from provlytics.table_files import open_tables

logger = logging.getLogger(__name__)

MEMORY_LIMIT = "1GB"  # DuckDB's budget for the aggregation (it spills beyond)
_TYPES = {pa.string(): STR, pa.large_string(): STR}


def failure_summary_at(
    path: str | Path, by: Sequence[str], status: str, columns: list[str]
) -> pd.DataFrame:
    """The rows of `failure_summary` for the store or snapshot at `path`.

    Args:
        path: a store or snapshot folder.
        by: `errors` columns to group by.
        status: "failure", "warning" or "both".
        columns: the output columns, in order.

    Raises:
        ConfigError: a `by` column `errors` lacks, or a bad `status`.
        InputError: not a store or snapshot.
    """
    value = check_status(status)
    keys = (["status"] if value == "both" else []) + list(by)
    names = SCHEMAS["errors"].names
    missing = [c for c in keys if c not in names]
    if missing:
        raise ConfigError(f"failure_summary(by=...): no column(s) {missing}; choose from {names}")
    tables = open_tables(path)
    if "errors" not in tables:
        return empty(columns)
    total = tables["events"].count_rows() if "events" in tables else 0
    wanted = PROBLEMS if value == "both" else (value,)
    summary = _aggregate(tables["errors"], keys, wanted)
    if summary.num_rows == 0:
        return empty(columns)
    frame = summary.to_pandas(types_mapper=_TYPES.get)
    frame["share"] = frame["events"] / total if total else float("nan")
    return typed(largest_first(frame, keys), columns)


def _aggregate(errors: object, keys: list[str], statuses: Sequence[str]) -> pa.Table:
    """One row per group: keys, events, identities, first/last seen and the most recent
    recommended action and reason (ties in time: the greater event id, as in the frames
    version's stable time order of the canonical table). `statuses` are `PROBLEMS`
    constants, safe as SQL literals."""
    group = ", ".join(_quote(k) for k in keys)
    newest = "ORDER BY activity_time NULLS LAST, event_id"
    sql = f"""
        SELECT {group},
            count(*) AS events,
            count(DISTINCT coalesce(source_id, reportable_identifier, target_id)) AS identities,
            min(activity_time) AS first_seen,
            max(activity_time) AS last_seen,
            last(recommended_action {newest}) FILTER (WHERE recommended_action IS NOT NULL)
                AS recommended_action,
            last(error_reason {newest}) FILTER (WHERE error_reason IS NOT NULL)
                AS example_reason
        FROM errors
        WHERE status IN ({", ".join(f"'{s}'" for s in statuses)})
        GROUP BY {group}
    """
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET TimeZone = 'UTC'")
        con.register("errors", errors)
        return con.sql(sql).to_arrow_table()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
