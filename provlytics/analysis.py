"""Analysis helpers: they read the canonical tables only, never raw JSON."""

from __future__ import annotations

import pandas as pd

from provlytics.tables import ProvisioningFrames

SUMMARY_KEYS = ["error_code", "error_category", "target_system_name", "action"]


def failure_summary(frames: ProvisioningFrames) -> pd.DataFrame:
    """Failed and warned events counted by error code, category, target system and action.

    Columns: the keys, `events`, `identities` (distinct source identities), `first_seen`,
    `last_seen` and an `example_reason`; the largest groups first.
    """
    grouped = frames.errors.groupby(SUMMARY_KEYS, dropna=False, observed=True)
    summary = grouped.agg(
        events=("event_id", "size"),
        identities=("source_id", "nunique"),
        first_seen=("activity_time", "min"),
        last_seen=("activity_time", "max"),
        example_reason=("error_reason", "first"),
    ).reset_index()
    return summary.sort_values(["events", "error_code"], ascending=[False, True], ignore_index=True)
