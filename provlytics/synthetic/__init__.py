"""Deterministic synthetic provisioning logs in every dialect provlytics reads.

`generate_records` yields Graph v1.0 `provisioningObjectSummary` dicts; `shapes` turns one into
the other dialects; `python -m provlytics.synthetic OUTDIR` writes the committed sample set.
"""

from provlytics.synthetic.catalogue import ERROR_CODES, SKIP_REASONS
from provlytics.synthetic.jobs import generate_jobs, to_job
from provlytics.synthetic.on_demand import to_on_demand
from provlytics.synthetic.records import generate_records
from provlytics.synthetic.samples import write_portal_csv, write_samples
from provlytics.synthetic.shapes import (
    to_beta_legacy,
    to_diagnostic,
    to_log_analytics,
    to_portal_csv_rows,
    to_portal_json,
)

__all__ = [
    "ERROR_CODES",
    "SKIP_REASONS",
    "generate_jobs",
    "generate_records",
    "to_beta_legacy",
    "to_diagnostic",
    "to_job",
    "to_log_analytics",
    "to_on_demand",
    "to_portal_csv_rows",
    "to_portal_json",
    "write_portal_csv",
    "write_samples",
]
