"""Summaries as the report page shows them: columns named for what they mean, values with
their units, rows in an order a reader can follow.

The CSV files in `summaries/` keep the helpers' own columns; only the page's copies change:
- `retry_storms.still_failing` is "still failing with this code" and `recovery.still_failing`
  is "latest event failed" (any code), so the two tables of one section do not seem to
  disagree about the same object;
- `job_health.escrow_risk` is "escrow share ÷ 40%" (`analysis.health_shown`, which
  `JobHealthPanel` shows too);
- `alerts` are grouped by kind, newest window first, each value and threshold with its unit.
"""

from __future__ import annotations

import logging
import math

import pandas as pd

logger = logging.getLogger(__name__)

STORM_FAILING = "still_failing_with_this_code"
LATEST_FAILED = "latest_event_failed"
ALERT_KINDS = ("quarantined", "silentJob", "failureRateSpike", "disableDeleteSpike")


def storms_shown(storms: pd.DataFrame) -> pd.DataFrame:
    """`analysis.retry_storms` with `still_failing` named `still_failing_with_this_code`."""
    return storms.rename(columns={"still_failing": STORM_FAILING})


def recovery_shown(recovery: pd.DataFrame) -> pd.DataFrame:
    """`analysis.recovery` with `still_failing` named `latest_event_failed`, those first."""
    shown = recovery.rename(columns={"still_failing": LATEST_FAILED})
    return shown.sort_values(LATEST_FAILED, ascending=False, kind="stable")


def alerts_shown(alerts: pd.DataFrame) -> pd.DataFrame:
    """`analysis.alerts` grouped by kind (quarantined, silentJob, failureRateSpike,
    disableDeleteSpike, then others), newest window first, then by job; `value` and
    `threshold` as text with their units ("54.1 h in quarantine", "672 h (4 weeks)")."""
    if alerts.empty:
        return alerts
    rank = alerts["kind"].map({k: i for i, k in enumerate(ALERT_KINDS)}).fillna(len(ALERT_KINDS))
    out = (
        alerts.assign(_rank=rank.to_numpy())
        .sort_values(
            ["_rank", "kind", "window_end", "job_id"],
            ascending=[True, True, False, True],
            na_position="last",
            kind="stable",
        )
        .drop(columns="_rank")
    )
    texts = [
        _units(kind, value, threshold)
        for kind, value, threshold in zip(out["kind"], out["value"], out["threshold"], strict=True)
    ]
    out["value"] = [value for value, _ in texts]
    out["threshold"] = [threshold for _, threshold in texts]
    return out.reset_index(drop=True)


def _units(kind: str, value: float, threshold: float) -> tuple[str, str]:
    """(value, threshold) of one alert as text with the kind's unit."""
    if kind == "quarantined":
        return f"{value:,.1f} h in quarantine", f"{threshold:,.0f} h (4 weeks)"
    if kind == "silentJob":
        since = "no event" if math.isnan(value) else f"{value:,.1f} h since last event"
        return since, f"{threshold:,.3g} h without event"
    if kind == "failureRateSpike":
        return f"{value:.0%} of processed events failed", f"{threshold:.0%}"
    if kind == "disableDeleteSpike":
        return f"{value:,.0f} disable/delete events", f"{threshold:,.0f} events"
    return f"{value:,.3g}", f"{threshold:,.3g}"
