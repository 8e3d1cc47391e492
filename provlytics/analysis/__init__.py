"""`pv.analysis`: pure functions of the canonical tables that return DataFrames.

Each takes a `ProvisioningFrames` (schema version 2) and reads only its tables, never raw
JSON; an empty input gives an empty DataFrame with the documented columns. Narrow the scope
once with `filter_frames` and pass the result to any of them.
"""

from __future__ import annotations

from provlytics.analysis.failures import drilldown, error_codes, failed_steps, failure_summary
from provlytics.analysis.scope import filter_frames

__all__ = [
    "drilldown",
    "error_codes",
    "failed_steps",
    "failure_summary",
    "filter_frames",
]
