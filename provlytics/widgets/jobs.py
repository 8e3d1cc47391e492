"""`JobHealthPanel`: quarantine state, counts and last error of every synchronization job."""

from __future__ import annotations

import logging
import os
from typing import Any

import ipywidgets as ipw
import pandas as pd
import traitlets

from provlytics import analysis, plots
from provlytics.analysis.health_shown import SHOWN_COLUMNS, escrow_note, health_shown
from provlytics.analysis.notices import job_apps
from provlytics.errors import ConfigError
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.timebounds import parse_duration
from provlytics.widgets.base import InvestigationWidget, rows_where, values_of
from provlytics.widgets.controls import (
    Guarded,
    all_options,
    choice,
    set_options,
    taken_note,
)
from provlytics.widgets.filters import FilterBar
from provlytics.widgets.render import Panel, plot_block, quantity, table_block

logger = logging.getLogger(__name__)

WINDOWS = ("1h", "6h", "1d", "7d")
ALERT_COLUMNS = ["kind", "job_id", "window_start", "window_end", "value", "threshold", "message"]


class JobHealthPanel(InvestigationWidget):
    """Per job: quarantine state, reason, next attempt, event and failure counts, last error.

    Controls: `job_id` (dropdown of the jobs known, None shows all; text compares
    case-insensitively; the app of exactly one job selects it, the headline saying so once)
    and `window` (the alert window passed to `pv.analysis.alerts`: a box
    offering 1h, 6h, 1d and 7d that takes any positive duration, "3h", "90min"). A job not
    known or a window that is not a duration is said in the headline, the control unchanged
    (`controls.Guarded`); `window=` not a duration raises `ConfigError`.

    `result`: the rows of `pv.analysis.job_health(frames)` for the job(s) shown, columns
    `job_id, service_principal_id, status_code, schedule_state, quarantined, quarantine_reason,
    quarantine_since, quarantine_next_attempt, quarantine_error_code, quarantine_error_message,
    last_error_code, last_error_message,
    last_error_tenant_actionable, last_execution_ended, events, failures, reference_failures,
    escrow_share, escrow_risk, observed_time`. `sections` holds `alerts` and `cycles`.

    The jobs table shows `escrow_risk` as the report does: named `escrow_share_÷_40%` (the
    escrow share over the 40% quarantine threshold, a ratio), with a note saying what the
    escrow columns hold, and its columns in the report's order: `job_id, status_code,
    schedule_state, quarantined, events, failures, reference_failures, escrow_share,
    escrow_share_÷_40%`, then the quarantine's and the last run's details
    (`analysis.health_shown.SHOWN_COLUMNS`).

    Example:
        >>> panel = JobHealthPanel(frames)
        >>> panel.result.loc[panel.result["quarantined"], "job_id"].tolist()
    """

    title = "Job health"

    def __init__(
        self,
        frames: ProvisioningFrames | str | os.PathLike[str],
        *,
        filters: FilterBar | None = None,
        window: str = "1d",
    ) -> None:
        self.source = frames_of(frames, who=type(self).__name__)
        self._window = window
        self.health = pd.DataFrame()
        self.sections: dict[str, pd.DataFrame] = {}
        super().__init__(filters=filters)

    @property
    def frames(self) -> ProvisioningFrames:
        """The frames shown: the given ones narrowed by the filter bar."""
        return self._scope(self.source)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        self.health = analysis.job_health(self.frames)
        return {
            "job_id": choice(
                "Job", values_of(self.health, "job_id"), apps=job_apps(self.source.events)
            ),
            "window": WindowBox(
                description="Alert window",
                options=WINDOWS,
                value=self._window,
                continuous_update=False,
            ),
        }

    def _update_options(self) -> None:
        self.health = analysis.job_health(self.frames)
        set_options(self.controls["job_id"], all_options(values_of(self.health, "job_id")))

    def _compute(self) -> Panel:
        frames, job = self.frames, self.values["job_id"]
        jobs = rows_where(self.health, "job_id", job)
        self.sections = {
            "alerts": rows_where(
                analysis.alerts(frames, window=self.values["window"]), "job_id", job
            ),
            "cycles": rows_where(analysis.cycles(frames), "job_id", job),
        }
        quarantined = int(jobs["quarantined"].fillna(False).astype(bool).sum())
        headline = (
            f"{taken_note(self.controls['job_id'])}"
            f"{quantity(len(jobs), 'job')}, {quarantined:,} quarantined, "
            f"{quantity(len(self.sections['alerts']), 'alert')}"
        )
        blocks = [
            table_block(
                "Jobs", health_shown(jobs), list(SHOWN_COLUMNS), note=escrow_note(".result")
            ),
            table_block("Alerts", self.sections["alerts"], ALERT_COLUMNS),
            plot_block("Failure rate per cycle", plots.cycle_failure_rate, self.sections["cycles"]),
        ]
        return Panel(headline, jobs, blocks)


class WindowBox(Guarded, ipw.Combobox):
    """A text box offering `WINDOWS` that takes any positive duration ("3h", "90min")."""

    value = traitlets.Any("1d").tag(sync=True)  # any value reaches `_accept`, not a TraitError

    def _accept(self, value: Any) -> Any:
        text = value.strip() if isinstance(value, str) else ""
        stays = f" (the window stays {self.value!r})" if self.on_refused else ""
        if not text:
            raise ConfigError(
                f"{self.description} {value!r} is not a duration such as "
                f"{', '.join(WINDOWS)} or 90min{stays}"
            )
        try:  # its own words: "not a positive duration", the month/minute hint
            parse_duration(text, self.description)
        except ConfigError as exc:
            raise ConfigError(f"{exc}{stays}") from None
        return text
