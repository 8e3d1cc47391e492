"""`ErrorExplorer`: pick an error code, see who is affected, where it fails and why."""

from __future__ import annotations

import logging
import os
from typing import Any

import ipywidgets as ipw
import pandas as pd

from provlytics import analysis, plots
from provlytics.analysis.columns import empty
from provlytics.analysis.failures import DRILLDOWN_COLUMNS
from provlytics.analysis.selection import PROBLEMS, code_family, identity
from provlytics.errors import ConfigError
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import InvestigationWidget, time_bin
from provlytics.widgets.controls import TextChoice, TextToggle, set_options
from provlytics.widgets.filters import FilterBar
from provlytics.widgets.render import Panel, plot_block, quantity, table_block

logger = logging.getLogger(__name__)

STATUSES = ("failure", "warning", "both")
EVENT_COLUMNS = [
    "activity_time",
    "status",
    "error_code",
    "reportable_identifier",
    "source_name",
    "target_system_name",
    "action",
    "failed_step_name",
    "error_reason",
    "changes",
]
IDENTITY_KEYS = ("error_code", "reportable_identifier", "source_name", "target_system_name")
STEP_COLUMNS = ["status", "error_code", "failed_step_type", "failed_step_name", "events", "share"]
IDENTITY_COLUMNS = [
    "status",
    "error_code",
    "reportable_identifier",
    "source_name",
    "target_system_name",
    "events",
    "first_seen",
    "last_seen",
]
SUMMARY_COLUMNS = [
    "status",
    "error_code",
    "target_system_name",
    "events",
    "identities",
    "first_seen",
    "last_seen",
    "recommended_action",
    "example_reason",
]


class ErrorExplorer(InvestigationWidget):
    """One error code at a time: affected events and identities, failing step, reasons, timeline.

    `frames`: `ProvisioningFrames`, or the path of a store/snapshot folder (`pv.read_parquet`).
    Controls: `error_code` (dropdown of the codes present with their failed and warned
    counts, most failures first, from `pv.analysis.error_codes`; a code set as text compares
    case-insensitively) and `status` ("failure", "warning" or "both"). A value neither
    control offers is said in the headline, the selection unchanged (`controls.Guarded`). A code
    chosen (in the dropdown, `choose` or `error_code=`) stays chosen when the filter bar or
    the status leaves it no events: it is offered as "Code (0)", the result is empty and the
    headline says so; until a code is chosen, the dropdown follows the largest code of the
    scope.

    `result`: `pv.analysis.drilldown(frames, error_code, status=status)` — one row per event
    of the code's family (`EntryConflict` also `SalesforceEntryConflict`; the headline counts
    the other codes), columns `event_id, activity_time, status, error_code, action, job_id,
    cycle_id, service_principal_name, target_system_name, source_id, source_name, target_id,
    target_name, reportable_identifier, failed_step_name, failed_step_type, error_reason,
    recommended_action, changes`, in time order. `sections` holds the other tables shown, each
    over the same events (the family, the status; their `events` sum to the result's rows):
    `summary` (`failure_summary` by code and target system), `identities` (`failure_summary` by
    code and identity), `steps` (`failed_steps` of the status; of each status, with a `status`
    column, for "both") and `timeline`; empty while the chosen code has no events. A family's
    tables show each row's `error_code`.

    Example:
        >>> explorer = ErrorExplorer(frames, filters=bar)
        >>> explorer.controls["error_code"].value = "DuplicateTargetEntries"
        >>> explorer.result["error_code"].unique()
        ['DuplicateTargetEntries']
    """

    title = "Error explorer"

    def __init__(
        self,
        frames: ProvisioningFrames | str | os.PathLike[str],
        *,
        filters: FilterBar | None = None,
        error_code: str | None = None,
        status: str = "both",
    ) -> None:
        self.source = frames_of(frames, who=type(self).__name__)
        self._status = status
        self._chosen: str | None = None
        self._present: dict[str, int] = {}
        self.sections: dict[str, Any] = {}
        super().__init__(filters=filters)
        if error_code is not None:
            self.choose(error_code)

    def choose(self, error_code: str) -> None:
        """Select a code (compared case-insensitively) as if picked in the dropdown.

        Raises:
            ConfigError: the code is not among the codes present; the message lists them.
        """
        offered = [code for _, code in self.controls["error_code"].options]
        match = next((code for code in offered if code.lower() == error_code.lower()), None)
        if match is None:
            present = ", ".join(offered[:10]) or "none"
            raise ConfigError(f"error code {error_code!r} is not present here; codes: {present}")
        self._chosen = match
        self.controls["error_code"].value = match

    @property
    def frames(self) -> ProvisioningFrames:
        """The frames explored: the given ones narrowed by the filter bar."""
        return self._scope(self.source)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        status = TextToggle(description="Status", options=STATUSES, value=self._status)
        options = self._code_options(status.value)
        code = TextChoice(
            description="Error code",
            options=options,
            value=options[0][1] if options else None,
            style={"description_width": "initial"},
        )
        return {"error_code": code, "status": status}

    def _code_options(self, status: str) -> list[tuple[str, str]]:
        """The codes present, largest first, and the code chosen (kept, labelled 0) when the
        scope or status holds none of its events."""
        codes = analysis.error_codes(self.frames, status=status)
        self._present = dict(zip(codes["error_code"], codes["events"], strict=True))
        options = [
            (f"{c} ({_counted(failed, warned)})", c)
            for c, failed, warned in zip(
                codes["error_code"], codes["failures"], codes["warnings"], strict=True
            )
        ]
        if self._chosen is not None and self._chosen not in self._present:
            options.append((f"{self._chosen} (0)", self._chosen))
        return options

    def _update_options(self) -> None:
        control, options = self.controls["error_code"], self._code_options(self.values["status"])
        set_options(control, options)
        if self._chosen is None and options:  # a code never set follows the scope's largest
            control.value = options[0][1]

    def _changed(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["owner"] is self.controls["status"]:
            with self.quietly():
                self._update_options()
        else:
            self._chosen = change["new"]
            super()._changed(change)

    def _kept(self, control: ipw.ValueWidget) -> None:
        """The code a user sets equal to the one shown (no change event) counts as chosen."""
        if not self._quiet and control is self.controls["error_code"]:
            self._chosen = control.value
        super()._kept(control)

    def _compute(self) -> Panel:
        frames, code, status = self.frames, self.values["error_code"], self.values["status"]
        if code is None:  # no code present, or None set on the dropdown (traitlets lets it in)
            self.sections = {}
            headline = (
                f"no error code chosen; pick one of the {len(self._present):,} present"
                if self._present
                else "no error codes in this selection"
            )
            return Panel(headline, empty(DRILLDOWN_COLUMNS))
        present = pd.Series(list(self._present), dtype=object)
        if not code_family(present, code).any():  # chosen, kept while the scope has none
            self.sections = {}
            headline = f"{code}: no events in this scope (status: {status}); the code stays chosen"
            return Panel(headline, empty(DRILLDOWN_COLUMNS))
        events = analysis.drilldown(frames, code, status=status)
        by_target = ("error_code", "target_system_name")
        self.sections = {
            "summary": _of_family(
                analysis.failure_summary(frames, by=by_target, status=status), code
            ),
            "identities": _of_family(
                analysis.failure_summary(frames, by=IDENTITY_KEYS, status=status), code
            ),
            "steps": _of_family(_failed_steps(frames, status), code),
            "timeline": _of_family(
                analysis.timeline(frames, freq=time_bin(frames.events), status=status), code
            ),
        }
        sections = self.sections
        blocks = [
            table_block(
                "Summary and recommended action",
                sections["summary"],
                _shown(SUMMARY_COLUMNS, events),
            ),
            table_block("Failing step", sections["steps"], _shown(STEP_COLUMNS, events)),
            plot_block("Timeline", plots.failures_over_time, sections["timeline"], title=code),
            table_block(
                "Affected identities", sections["identities"], _shown(IDENTITY_COLUMNS, events)
            ),
            table_block("Events", events, _shown(EVENT_COLUMNS, events)),
        ]
        return Panel(_headline(code, status, events), events, blocks)


def _shown(columns: list[str], events: pd.DataFrame) -> list[str]:
    """What a block shows of its `columns`: all of them when the events hold several codes of
    the family (each row names its code: `EntryConflict` and `SalesforceEntryConflict` rows
    look alike otherwise), without `error_code` when they hold one (the headline names it)."""
    if events["error_code"].nunique() > 1:
        return columns
    return [c for c in columns if c != "error_code"]


def _failed_steps(frames: ProvisioningFrames, status: str) -> pd.DataFrame:
    """`analysis.failed_steps` of `status`; for "both", those of failures and of warnings one
    under the other with a `status` column (shares within the code and status), so that a
    code that fails and warns at a step shows both."""
    if status != "both":
        return analysis.failed_steps(frames, status=status)
    parts = [analysis.failed_steps(frames, status=s).assign(status=s) for s in PROBLEMS]
    steps = pd.concat(parts, ignore_index=True)
    return steps.sort_values("events", ascending=False, kind="stable", ignore_index=True)


def _of_family(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of `frame` whose `error_code` is of the family of `code` (as `drilldown`
    picks its events: `EntryConflict` also keeps `SalesforceEntryConflict`)."""
    return frame[code_family(frame["error_code"], code)].reset_index(drop=True)


def _headline(code: str, status: str, events: pd.DataFrame) -> str:
    """ "EntryConflict: 58 events, 17 identities (status: both; incl. 14
    SalesforceEntryConflict)": the identities counted as `failure_summary` counts them (one
    per identity, whatever its target systems; the "Affected identities" table has a row per
    identity and target system)."""
    counts = events["error_code"].value_counts()
    others = [f"{n:,} {c}" for c, n in counts.items() if str(c).lower() != code.lower()]
    family = f"; incl. {', '.join(others)}" if others else ""
    who = identity(events).nunique()
    counted = f"{quantity(len(events), 'event')}, {quantity(who, 'identity')}"
    return f"{code}: {counted} (status: {status}{family})"


def _counted(failed: int, warned: int) -> str:
    """A code's events as its dropdown shows them: "38 failed, 49 warned", "44 failed"."""
    parts = [f"{failed:,} failed" if failed else "", f"{warned:,} warned" if warned else ""]
    return ", ".join(p for p in parts if p)
