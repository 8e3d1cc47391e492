"""`IdentityInspector`: everything the logs say about one user or group, in time order."""

from __future__ import annotations

import logging
import os
import warnings

import ipywidgets as ipw

from provlytics import analysis
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
    `IdentityHistory` (`.events`, `.steps`, `.changes`, `.apps`). The headline says how many
    events and apps were found, then what `identity_history` warned of: a name taken with its
    accents and case ignored ("Lukasz Brown" for "Łukasz Brown"), a display name several
    people share (every event of each is shown; how many matched, their UPNs, and to give one
    of them), or a value nothing names (with the closest names present). Those warnings are
    also issued, at the line that set the query.

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
        history, notes = _history_and_notes(self.frames, who)
        self.history = history
        blocks = [
            table_block("Apps", history.apps),
            table_block("Events", history.events, EVENT_COLUMNS),
            table_block("Steps", history.steps, STEP_COLUMNS),
            table_block("Attribute changes", history.changes, CHANGE_COLUMNS),
        ]
        found = f"{quantity(len(history.events), 'event')} in {quantity(len(history.apps), 'app')}"
        return Panel("; ".join([f"{who!r}: {found}", *notes]), history.events, blocks)


def _history_and_notes(
    frames: ProvisioningFrames, who: str
) -> tuple[analysis.IdentityHistory, list[str]]:
    """`identity_history(frames, who)` and what its `UserWarning`s say (each without its
    leading "identity_history: "), in the order given; every warning caught is issued again
    as it came, at the line it names (the user's)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = analysis.identity_history(frames, who)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    said = f"{analysis.identity_history.__name__}: "
    notes = [
        str(w.message).removeprefix(said) for w in caught if issubclass(w.category, UserWarning)
    ]
    return history, notes
