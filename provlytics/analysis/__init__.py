"""`pv.analysis`: pure functions of the canonical tables that return DataFrames.

Each takes a `ProvisioningFrames` (schema version 2) and reads only its tables, never raw
JSON; an empty input gives an empty DataFrame with the documented columns. Narrow the scope
once with `filter_frames` and pass the result to any of them.

Each also takes the path of a store or snapshot folder (str or `os.PathLike`) in place of the
frames, with the same result as on `pv.read_parquet(path)`: it then reads only the tables,
columns and rows it uses (`access.table`, `path_tables.PathTables`: filters pushed into the
Parquet scan), and `failure_summary` aggregates out of core in DuckDB.

Anything else as the frames (a single table such as `frames.errors`, a dict, None) raises
`ConfigError` naming what it got and what it takes (`access.resolve`).
"""

from __future__ import annotations

from provlytics.analysis.activity import (
    activity_by_app,
    objects_by_type,
    skip_reasons,
    slowest,
    step_funnel,
    success_rate,
    timeline,
)
from provlytics.analysis.changes import attribute_changes
from provlytics.analysis.conflict_cases import conflicts
from provlytics.analysis.failures import drilldown, error_codes, failed_steps, failure_summary
from provlytics.analysis.health import job_health
from provlytics.analysis.history import IdentityHistory, cycles, identity_history
from provlytics.analysis.job_alerts import alerts
from provlytics.analysis.retries import recovery, retry_storms
from provlytics.analysis.scope import filter_frames

__all__ = [
    "IdentityHistory",
    "activity_by_app",
    "alerts",
    "attribute_changes",
    "conflicts",
    "cycles",
    "drilldown",
    "error_codes",
    "failed_steps",
    "failure_summary",
    "filter_frames",
    "identity_history",
    "job_health",
    "objects_by_type",
    "recovery",
    "retry_storms",
    "skip_reasons",
    "slowest",
    "step_funnel",
    "success_rate",
    "timeline",
]
