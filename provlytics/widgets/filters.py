"""`FilterBar`: the date range, job and target system that the other widgets follow."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

import ipywidgets as ipw
import pandas as pd
import traitlets

from provlytics import analysis
from provlytics.errors import ConfigError
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import DayPicker, InvestigationWidget, choice, values_of
from provlytics.widgets.render import Panel, table_block

logger = logging.getLogger(__name__)


class FilterBar(InvestigationWidget):
    """Date range, job and target system; other widgets given `filters=bar` follow it.

    Controls: `since` (first day kept, a `datetime.date`; ISO text such as "2026-11-19" or a
    datetime is taken as its day), `until` (last day kept, inclusive), `job_id` and
    `target_system` (dropdowns of the values present; None keeps all; text set as their value
    is compared case-insensitively). A value that is not a day, or not present, leaves the
    control as it was, saying so in the headline (`base.Guarded`). Both dates start at the
    first and last day of the events.

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
        super().__init__()

    @property
    def frames(self) -> ProvisioningFrames:
        """The bar's own frames narrowed to the selection."""
        return self._filtered

    def apply(self, frames: ProvisioningFrames) -> ProvisioningFrames:
        """Any frames narrowed to the selection (via `pv.analysis.filter_frames`)."""
        if frames is self.source:
            return self._filtered
        return analysis.filter_frames(frames, **self.selection)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        events = self.source.events
        times = events["activity_time"].dropna()
        first = times.min().date() if len(times) else None
        last = times.max().date() if len(times) else None
        style = {"description_width": "initial"}
        return {
            "since": DayPicker(description="From", value=first, style=style),
            "until": DayPicker(description="To (incl.)", value=last, style=style),
            "job_id": choice("Job", values_of(events, "job_id")),
            "target_system": choice("Target system", values_of(events, "target_system_name")),
        }

    def _compute(self) -> Panel:
        """Raises ConfigError: "From" is after "To (incl.)" (shown as the headline when the
        dates are picked; the selection stays as it was)."""
        since, until = self.values["since"], self.values["until"]
        if since is not None and until is not None and since > until:
            raise ConfigError(
                f"From {since:%Y-%m-%d} is after To (incl.) {until:%Y-%m-%d}: no day is "
                "selected; pick a From day on or before the To day (the selection stays as "
                "it was)"
            )
        selection = self._selection()
        self._filtered = analysis.filter_frames(self.source, **selection)
        self.selection = selection
        counts = self._filtered.counts()
        rows = pd.DataFrame({"table": list(counts), "rows": list(counts.values())})
        rows["rows"] = rows["rows"].astype("int64")
        total = len(self.source.events)
        headline = f"{counts['events']:,} of {total:,} events selected"
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
