"""`job_health` as people read it: the escrow ratio named and explained in words.

`escrow_risk` is the escrow share over the 40% at which Entra quarantines a job (1.0 is the
threshold): a ratio, not a probability. Where it is shown (the report page, `JobHealthPanel`,
both with the columns of `SHOWN_COLUMNS` in its order) its column is named
`escrow_share_÷_40%` and `escrow_note` says what the two escrow columns hold; the returned
frames and the CSV files keep `escrow_risk`.
"""

from __future__ import annotations

import pandas as pd

from provlytics.analysis.health import ESCROW_THRESHOLD

ESCROW_OF_THRESHOLD = f"escrow_share_÷_{ESCROW_THRESHOLD:.0%}"
"""The shown name of `escrow_risk`: "escrow_share_÷_40%"."""

SHOWN_COLUMNS = (
    "job_id",
    "status_code",
    "schedule_state",
    "quarantined",
    "events",
    "failures",
    "reference_failures",
    "escrow_share",
    ESCROW_OF_THRESHOLD,
    "quarantine_reason",
    "quarantine_since",
    "quarantine_next_attempt",
    "quarantine_error_code",
    "last_error_code",
    "last_error_message",
    "last_execution_ended",
)
"""The columns of `health_shown` rows the report's job health table and `JobHealthPanel`'s
jobs table show, in this one order: the state, then the counts the escrow share is worked
out from (failures less reference failures, per event), then the quarantine's and the last
run's details."""


def health_shown(health: pd.DataFrame) -> pd.DataFrame:
    """`analysis.job_health` rows with `escrow_risk` named `escrow_share_÷_40%` (a ratio);
    the other columns and the values unchanged."""
    return health.rename(columns={"escrow_risk": ESCROW_OF_THRESHOLD})


def escrow_note(raw_in: str) -> str:
    """What the shown escrow columns hold, naming where `escrow_risk` keeps its own name
    (`raw_in`: "the CSV file", ".result")."""
    threshold = f"{ESCROW_THRESHOLD:.0%}"
    return (
        "escrow share: the job's failures that are not reference failures, per event. "
        f"escrow share ÷ {threshold}: that share over the {threshold} at which Entra "
        "quarantines a job (1.0 is the threshold; Entra judges it from 5,000 failures), "
        f"not a probability (escrow_risk in {raw_in})."
    )
