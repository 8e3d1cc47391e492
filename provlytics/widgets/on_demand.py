"""`OnDemandViewer`: one provisionOnDemand outcome as a readable list of steps."""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as ipw
import pandas as pd

from provlytics.errors import ConfigError
from provlytics.pipeline.on_demand import read_on_demand_result
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import InvestigationWidget
from provlytics.widgets.controls import TickBox
from provlytics.widgets.render import Block, Panel, table_block

logger = logging.getLogger(__name__)

STEP_COLUMNS = ["step_index", "name", "step_type", "status", "description", "timestamp", "details"]
EVENT_COLUMNS = [
    "activity_time",
    "action",
    "status",
    "error_code",
    "reportable_identifier",
    "source_system_name",
    "target_system_name",
    "target_id",
]
MARKS = {"failure": "✗", "warning": "!", "skipped": "–", "success": "✓"}


class OnDemandOutcome(Protocol):
    """What `pv.provision_on_demand` returns (`provlytics.OnDemandResult`)."""

    result: str
    error_code: str | None
    message: str | None
    frames: ProvisioningFrames


@dataclass(frozen=True)
class Verdict:
    """The verdict shown at the top: result, error code and message."""

    result: str
    error_code: str | None
    message: str | None


class OnDemandViewer(InvestigationWidget):
    """Verdict, error, the steps in order with the failing one marked, and the changed attributes.

    Takes an `OnDemandResult`, live from `pv.provision_on_demand` or saved from
    `pv.read_on_demand_result(path)` (the verdict comes from its `result`, `error_code` and
    `message`), the path of a saved response (read with `pv.read_on_demand_result`), or bare
    `ProvisioningFrames` (from `pv.read_on_demand`: the verdict is rebuilt from the event's
    status, code and reason, and is lost when the response held no event).

    Raises:
        ConfigError: anything else (the message says what to pass).
        InputError: a path that is no file or not a provisionOnDemand response.

    Control: `details` ("Step details", a checkbox) also shows each step's details bag; a
    value that is not True or False is said in the headline, the box as it was
    (`controls.Guarded`).

    `result`: the steps, columns `step_index, name, step_type, status, description, timestamp,
    details, failing` (bool: the step whose status is `failure`), in step order; no rows when the
    response held no event (a group response whose `value` is `"{}"`).

    Example:
        >>> viewer = OnDemandViewer(pv.read_on_demand_result("failure-scim-bad-response.json"))
        >>> viewer.result.loc[viewer.result["failing"], "name"].tolist()
        ['EntryExportUpdate']
    """

    title = "On-demand provisioning"

    def __init__(
        self, outcome: OnDemandOutcome | ProvisioningFrames | str | os.PathLike[str]
    ) -> None:
        if isinstance(outcome, str | os.PathLike):
            outcome = read_on_demand_result(Path(outcome))
        if isinstance(outcome, ProvisioningFrames):
            self.frames = outcome
            self.verdict = _verdict_of(outcome)
        elif isinstance(getattr(outcome, "frames", None), ProvisioningFrames):
            self.frames = outcome.frames
            self.verdict = Verdict(outcome.result, outcome.error_code, outcome.message)
        else:
            raise ConfigError(
                f"{type(self).__name__}: takes an OnDemandResult (pv.provision_on_demand, "
                "pv.read_on_demand_result), ProvisioningFrames (pv.read_on_demand) or the path "
                f"of a saved provisionOnDemand response; got {type(outcome).__name__}"
            )
        super().__init__()

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        return {"details": TickBox(description="Step details", value=False)}

    def _compute(self) -> Panel:
        steps = self.frames.steps.sort_values(["event_id", "step_index"], ignore_index=True)
        steps = steps[STEP_COLUMNS].copy()
        steps["failing"] = (steps["status"] == "failure").fillna(False).astype(bool)
        blocks = [
            Block(
                "Steps",
                html=_steps_html(steps, details=bool(self.values["details"])),
                text=_steps_text(steps),
            ),
            table_block(
                "Modified properties",
                self.frames.modified_properties,
                ["name", "old_value", "new_value"],
            ),
            table_block("Event", self.frames.events, EVENT_COLUMNS),
        ]
        return Panel(self._headline(), steps, blocks)

    def _headline(self) -> str:
        verdict = self.verdict
        parts = [verdict.result or "no verdict"]
        if verdict.error_code:
            parts.append(verdict.error_code)
        if verdict.message:
            parts.append(verdict.message.splitlines()[0])
        return " · ".join(parts)


def _verdict_of(frames: ProvisioningFrames) -> Verdict:
    """The verdict of a response read with `pv.read_on_demand`, from its single event."""
    events = frames.events
    if events.empty:
        return Verdict(
            "no event in the response (pv.read_on_demand_result keeps the verdict)", None, None
        )
    event = events.iloc[0]
    return Verdict(
        str(event["status"]).capitalize(),
        _text(event.get("error_code")),
        _text(event.get("error_reason")),
    )


def _steps_html(steps: pd.DataFrame, *, details: bool) -> str:
    """The steps as an ordered list; the failing step on a red background."""
    if steps.empty:
        return "<p><i>no steps (the response held no event)</i></p>"
    items = [_step_html(step, details=details) for step in steps.itertuples(index=False)]
    return "<ol>" + "".join(items) + "</ol>"


def _steps_text(steps: pd.DataFrame) -> str:
    """The steps as numbered lines, the failing one flagged."""
    lines = [
        f"{number}. {'FAILED ' if step.failing else ''}{MARKS.get(_text(step.status) or '', '?')} "
        f"{step.name} ({step.step_type}, {step.status}): {step.description}"
        for number, step in enumerate(steps.itertuples(index=False), start=1)
    ]
    return "\n".join(lines) or "no steps (the response held no event)"


def _step_html(step: Any, *, details: bool) -> str:
    status = _text(step.status) or "unknown"
    mark = MARKS.get(status, "?")
    css = ' class="pv-failing"' if step.failing else ""
    label = "<b>FAILED</b> " if step.failing else ""
    body = (
        f"<li{css}>{label}{mark} <b>{html.escape(_text(step.name) or '')}</b> "
        f"({html.escape(_text(step.step_type) or '')}, {html.escape(status)}): "
        f"{html.escape(_text(step.description) or '')}"
    )
    if details and _text(step.details):
        body += f"<br/><code>{html.escape(_text(step.details) or '')}</code>"
    return body + "</li>"


def _text(value: Any) -> str | None:
    """A cell as text, None for a null."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)
