"""`ConflictExplorer`: matching conflicts and duplicates, by target system and attribute."""

from __future__ import annotations

import logging
import os

import ipywidgets as ipw
import pandas as pd

from provlytics import analysis
from provlytics.frames_arg import frames_of
from provlytics.tables import ProvisioningFrames
from provlytics.widgets.base import InvestigationWidget, rows_where, values_of
from provlytics.widgets.controls import all_options, choice, set_options
from provlytics.widgets.filters import FilterBar
from provlytics.widgets.render import Panel, quantity, table_block

logger = logging.getLogger(__name__)

FILTERS = {"kind": "kind", "target_system": "target_system_name", "attribute": "matching_attribute"}
COLUMNS = [
    "kind",
    "error_code",
    "target_system_name",
    "reportable_identifier",
    "source_name",
    "matching_attribute",
    "matching_value",
    "events",
    "first_seen",
    "last_seen",
]
LABELS = {"kind": "Kind", "target_system": "Target system", "attribute": "Matching attribute"}


class ConflictExplorer(InvestigationWidget):
    """The table of `pv.analysis.conflicts`, narrowed by kind, target system and attribute.

    Controls: `kind`, `target_system` and `attribute` (the matching attribute): dropdowns of the
    values present, None keeps all; text compares case-insensitively, and a value not present
    is said in the headline, the selection unchanged (`controls.Guarded`).

    `result`: the rows of `pv.analysis.conflicts(frames)` that match, columns `kind, error_code,
    target_system_name, job_id, source_id, reportable_identifier, source_name,
    matching_attribute, matching_value, events, first_seen, last_seen, example_reason`.

    Example:
        >>> explorer = ConflictExplorer(frames)
        >>> explorer.controls["target_system"].value = "Salesforce"
    """

    title = "Conflict explorer"

    def __init__(
        self,
        frames: ProvisioningFrames | str | os.PathLike[str],
        *,
        filters: FilterBar | None = None,
    ) -> None:
        self.source = frames_of(frames, who=type(self).__name__)
        self.table = pd.DataFrame()
        super().__init__(filters=filters)

    @property
    def frames(self) -> ProvisioningFrames:
        """The frames searched: the given ones narrowed by the filter bar."""
        return self._scope(self.source)

    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        self.table = analysis.conflicts(self.frames)
        style = {"description_width": "initial"}
        controls = {}
        for name, column in FILTERS.items():
            controls[name] = choice(LABELS[name], values_of(self.table, column))
            controls[name].style = style
        return controls

    def _update_options(self) -> None:
        self.table = analysis.conflicts(self.frames)
        for name, column in FILTERS.items():
            set_options(self.controls[name], all_options(values_of(self.table, column)))

    def _compute(self) -> Panel:
        rows = self.table
        for name, column in FILTERS.items():
            rows = rows_where(rows, column, self.values[name])
        shown = f"{len(rows):,} of {quantity(len(self.table), 'conflict')}"
        headline = f"{shown} (identity, attribute, value)"
        return Panel(headline, rows, [table_block("Conflicts", rows, COLUMNS)])
