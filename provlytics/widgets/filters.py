"""`FilterBar`: the date range, job and target system that the other widgets follow."""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from typing import Any

import ipywidgets as ipw
import pandas as pd
import traitlets

from provlytics import analysis
from provlytics.analysis.notices import job_apps
from provlytics.errors import ConfigError
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import InvestigationWidget, values_of
from provlytics.widgets.controls import DayPicker, choice, taken_note
from provlytics.widgets.render import Panel, quantity, table_block

logger = logging.getLogger(__name__)


class FilterBar(InvestigationWidget):
    """Date range, job and target system; other widgets given `filters=bar` follow it.

    Controls: `since` ("From", the first day kept, a `datetime.date`; ISO text of a day such
    as "2026-11-19", or a datetime at midnight UTC, is taken as its day), `until` ("To
    (incl.)", the last day kept, included), `job_id` and `target_system` (dropdowns of the
    values present; None keeps all; text set as their value is compared case-insensitively;
    the app of exactly one job selects that job, the headline saying so once; a job not
    present is refused naming the closest jobs with their apps).
    Days are UTC days. A value that is not a day, has a time of day (the bar picks whole
    days: `pv.analysis.filter_frames` takes times), or is not present leaves the control as it
    was, saying so in the headline (`controls.Guarded`); a From day after the To day puts both
    days back to the last ones selected, saying so. Any value accepted replaces such a notice
    with the answer, whose headline names the days ("853 of 2,033 events selected:
    2026-11-19 to 2026-11-20, both days included"). Both dates start at the first and last
    day of the events.

    Attributes:
        selection: the keyword arguments for `pv.analysis.filter_frames` (a traitlets Dict:
            `bar.observe(handler, names="selection")` is told of every change). `until` is the
            day after the last day kept, as `filter_frames` keeps `activity_time < until`.
        result: DataFrame[`table`, `rows`] (int64): rows per table in the selection.

    Example:
        >>> bar = FilterBar(frames)
        >>> bar.controls["since"].value = datetime.date(2026, 11, 20)
        >>> ErrorExplorer(frames, filters=bar)  # only events from 2026-11-20 on
    """

    title = "Filters"
    selection = traitlets.Dict()

    def __init__(self, frames: ProvisioningFrames | str | os.PathLike[str]) -> None:
        self.source = frames_of(frames, who=type(self).__name__)
        self._filtered = self.source
        self._good: dict[str, dt.date | None] = {}
        super().__init__()

    @property
    def frames(self) -> ProvisioningFrames:
        """The bar's own frames narrowed to the selection."""
        return self._filtered

    def apply(self, frames: ProvisioningFrames) -> ProvisioningFrames:
        """Any frames narrowed to the selection (via `pv.analysis.filter_frames`)."""
        if frames is self.source:
            return self._filtered
        return _narrowed(frames, self.selection)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        events = self.source.events
        times = events["activity_time"].dropna()
        first = times.min().date() if len(times) else None
        last = times.max().date() if len(times) else None
        style = {"description_width": "initial"}
        return {
            "since": DayPicker(keyword="since", description="From", value=first, style=style),
            "until": DayPicker(keyword="until", description="To (incl.)", value=last, style=style),
            "job_id": choice("Job", values_of(events, "job_id"), apps=job_apps(events)),
            "target_system": choice("Target system", values_of(events, "target_system_name")),
        }

    def _refresh_shown(self) -> None:
        """A From day after the To day puts both back to the last days selected (so the
        controls show the selection in force and later changes apply) and says so."""
        message = self._order_error()
        if message is None:
            super()._refresh_shown()
            return
        quiet, self._quiet = self._quiet, True
        try:
            for name in ("since", "until"):
                self.controls[name].value = self._good.get(name)
        finally:
            self._quiet = quiet
        self.show_notice(message)

    def _order_error(self) -> str | None:
        since, until = self.values["since"], self.values["until"]
        if since is None or until is None or since <= until:
            return None
        return (
            f"From {since:%Y-%m-%d} is after To (incl.) {until:%Y-%m-%d}: no day is selected; "
            f"pick a From day on or before the To day (the days stay {_days(self._good)})"
        )

    def _compute(self) -> Panel:
        """Raises ConfigError: "From" is after "To (incl.)" (when the dates are picked, shown
        as the headline and the days put back instead)."""
        taken = taken_note(self.controls["job_id"])
        message = self._order_error()
        if message is not None:
            raise ConfigError(message)
        selection = self._selection()
        self._filtered = _narrowed(self.source, selection)
        self.selection = selection
        self._good = {"since": self.values["since"], "until": self.values["until"]}
        counts = self._filtered.counts()
        rows = pd.DataFrame({"table": list(counts), "rows": list(counts.values())})
        rows["rows"] = rows["rows"].astype("int64")
        total = len(self.source.events)
        selected = f"{counts['events']:,} of {quantity(total, 'event')} selected"
        headline = f"{taken}{selected}: {_days(self._good)}"
        return Panel(headline, rows, [table_block("Rows per table", rows)])

    def _selection(self) -> dict[str, Any]:
        values = self.values
        selection: dict[str, Any] = {}
        if values["since"] is not None:
            selection["since"] = _utc(values["since"])
        if values["until"] is not None:
            selection["until"] = _utc(values["until"]) + pd.Timedelta(days=1)
        if values["job_id"] is not None:
            selection["job_id"] = values["job_id"]
        if values["target_system"] is not None:
            selection["target_system"] = values["target_system"]
        return selection


def _utc(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize("UTC")


def _days(days: dict[str, dt.date | None]) -> str:
    """ "2026-11-19 to 2026-11-20, both days included" (the To day is kept whole)."""
    since, until = days.get("since"), days.get("until")
    if since is None and until is None:
        return "every day"
    if until is None:
        return f"from {since:%Y-%m-%d} on"
    if since is None:
        return f"up to {until:%Y-%m-%d}, included"
    if since == until:
        return f"{since:%Y-%m-%d} only"
    return f"{since:%Y-%m-%d} to {until:%Y-%m-%d}, both days included"


def _narrowed(frames: ProvisioningFrames, selection: dict[str, Any]) -> ProvisioningFrames:
    """`filter_frames` of the bar's selection, without its warning that no event is kept:
    the headline says how many are ("0 of 2,033 events selected: ...")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return analysis.filter_frames(frames, **selection)
