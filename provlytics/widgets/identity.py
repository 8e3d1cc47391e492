"""`IdentityInspector`: everything the logs say about one user or group, in time order."""

from __future__ import annotations

import logging
import os

import ipywidgets as ipw

from provlytics import analysis
from provlytics.analysis.who import namesakes
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import InvestigationWidget
from provlytics.widgets.filters import FilterBar
from provlytics.widgets.render import Panel, quantity, table_block

logger = logging.getLogger(__name__)

EVENT_COLUMNS = [
    "activity_time",
    "action",
    "status",
    "error_code",
    "target_system_name",
    "source_name",
    "target_id",
    "failed_step_name",
    "error_reason",
    "changes",
]
STEP_COLUMNS = ["activity_time", "step_index", "name", "step_type", "status", "description"]
CHANGE_COLUMNS = [
    "activity_time",
    "target_system_name",
    "action",
    "status",
    "attribute",
    "old_value",
    "new_value",
    "old_value_backfilled",
]


class IdentityInspector(InvestigationWidget):
    """One identity's events, steps and attribute changes, in time order.

    Control: `query` (text): an object id, display name or UPN, matched case-insensitively by
    `pv.analysis.identity_history` with the identity each event is about (its source_id,
    reportable_identifier and source_name; target_name and target_id as it says).

    `result`: the identity's events (`IdentityHistory.events`: the drilldown columns, time
    order); empty, with the same columns, while the query is empty. `history` is the whole
    `IdentityHistory` (`.events`, `.steps`, `.changes`, `.apps`). A display name several
    people share shows every event of each; the headline says how many people it matched and
    to type an object id or UPN to pick one (`identity_history` also warns, at the line
    that set the query).

    Example:
        >>> inspector = IdentityInspector(frames)
        >>> inspector.controls["query"].value = "liam.schafer@contoso.com"
        >>> inspector.result["reportable_identifier"].unique()
        ['liam.schafer@contoso.com']
    """

    title = "Identity inspector"

    def __init__(
        self,
        frames: ProvisioningFrames | str | os.PathLike[str],
        *,
        filters: FilterBar | None = None,
        query: str = "",
    ) -> None:
        self.source = frames_of(frames, who=type(self).__name__)
        self._query = query
        super().__init__(filters=filters)

    @property
    def frames(self) -> ProvisioningFrames:
        """The frames searched: the given ones narrowed by the filter bar."""
        return self._scope(self.source)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        query = ipw.Text(
            value=self._query,
            description="Identity",
            placeholder="object id, display name or UPN",
            continuous_update=False,
            layout=ipw.Layout(width="420px"),
        )
        return {"query": query}

    def _compute(self) -> Panel:
        who = (self.values["query"] or "").strip()
        if not who:
            self.history = analysis.identity_history(ProvisioningFrames(), "-")
            return Panel("type an object id, display name or UPN", self.history.events)
        self.history = history = analysis.identity_history(self.frames, who)
        blocks = [
            table_block("Apps", history.apps),
            table_block("Events", history.events, EVENT_COLUMNS),
            table_block("Steps", history.steps, STEP_COLUMNS),
            table_block("Attribute changes", history.changes, CHANGE_COLUMNS),
        ]
        return Panel(_headline(who, history), history.events, blocks)


def _headline(who: str, history: analysis.IdentityHistory) -> str:
    """The headline: "'a@b.com': 6 events in 3 apps"; for a display name several people
    share, also how many it matched and how to pick one of them."""
    found = f"{quantity(len(history.events), 'event')} in {quantity(len(history.apps), 'app')}"
    people, _ = namesakes(history.events)
    if not people:
        return f"{who!r}: {found}"
    return f"{who!r} matches {people} people: {found}; type an object id or UPN to pick one"
