"""The base of every investigation widget: controls, a recomputed `.result`, a live view.

A widget holds no analysis: on every control change it asks `pv.analysis` for its answer and
`pv.plots` for its charts (through `_compute`, which subclasses implement), keeps the answer in
`.result`, and shows it in an `ipywidgets.VBox` (title, controls, an `Output` holding the tables
and plots). Outside a notebook frontend that can draw widgets, the same answer is shown as static
HTML or text (`_repr_mimebundle_`).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as ipw
import pandas as pd
import traitlets

from provlytics.errors import ProvlyticsError
from provlytics.widgets.controls import Guarded
from provlytics.widgets.render import Panel, output_items, panel_html, panel_text

if TYPE_CHECKING:
    from provlytics.tables import ProvisioningFrames
    from provlytics.widgets.filters import FilterBar

logger = logging.getLogger(__name__)


class _AbstractTraits(abc.ABCMeta, type(traitlets.HasTraits)):
    """HasTraits' metaclass with abstract methods: a widget missing a hook cannot be built."""


class InvestigationWidget(traitlets.HasTraits, metaclass=_AbstractTraits):
    """Controls in, a DataFrame out, redrawn whenever a control (or the filter bar) changes.

    Attributes:
        controls: name -> ipywidget; set `.value` on one to recompute (as a user would).
        result: the current answer (a DataFrame; its columns are documented by each widget).
        panel: the current headline, result and blocks (tables, plots) shown.
        view: the `ipywidgets.VBox` displayed in a notebook.
        filters: the `FilterBar` whose selection narrows the frames, or None.
    """

    title: ClassVar[str] = "provlytics"

    def __init__(self, *, filters: FilterBar | None = None) -> None:
        super().__init__()
        self.filters = filters
        self._quiet = False
        self._notice = False
        self.controls: dict[str, ipw.ValueWidget] = self._make_controls()
        self.output = ipw.Output()
        header = ipw.HTML(f"<b>{self.title}</b>")
        self.view = ipw.VBox([header, ipw.HBox(list(self.controls.values())), self.output])
        self.panel = Panel("", pd.DataFrame())
        for control in self.controls.values():
            if isinstance(control, Guarded):
                control.on_refused = self.show_notice
                control.on_kept = self._kept
            control.observe(self._changed, names="value")
        if filters is not None:
            filters.observe(self._filters_changed, names="selection")
        self.refresh()

    @property
    def result(self) -> pd.DataFrame:
        """The current answer; see the widget's docstring for its columns."""
        return self.panel.result

    @property
    def values(self) -> dict[str, Any]:
        """The current control values, by control name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute the answer from the current control values and redraw the view."""
        self.panel = self._compute()
        self._notice = False
        self.output.outputs = output_items(self.panel)
        logger.debug("%s recomputed: %s", type(self).__name__, self.panel.headline)

    @abc.abstractmethod
    def _make_controls(self) -> dict[str, ipw.ValueWidget]:
        """The widget's controls; called once, before the first `_compute`."""

    @abc.abstractmethod
    def _compute(self) -> Panel:
        """The answer for the current control values (calls pv.analysis / pv.plots only)."""

    def _scope(self, frames: ProvisioningFrames) -> ProvisioningFrames:
        """`frames` narrowed by the filter bar's selection (unchanged without a bar)."""
        return frames if self.filters is None else self.filters.apply(frames)

    def _filters_changed(self, change: dict[str, Any]) -> None:
        with self.quietly():
            self._update_options()

    def _update_options(self) -> None:
        """Refresh the options of data-driven controls after the scope changed."""

    def _changed(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self._refresh_shown()

    def _kept(self, control: ipw.ValueWidget) -> None:
        """A value set on `control` was accepted but equals its value (no change event): a
        notice in the headline (a value refused before) is replaced by the answer."""
        if not self._quiet and self._notice:
            self._refresh_shown()

    def _refresh_shown(self) -> None:
        """`refresh`, showing a provlytics error as the headline instead of raising it out of a
        change handler (where a notebook would print a traceback and the view go stale)."""
        try:
            self.refresh()
        except ProvlyticsError as exc:
            self.show_notice(str(exc))

    def show_notice(self, message: str) -> None:
        """Show `message` as the headline; the answer (`result`, tables) stays as it was."""
        logger.info("%s: %s", type(self).__name__, message)
        self.panel = Panel(message, self.panel.result, self.panel.blocks)
        self._notice = True
        self.output.outputs = output_items(self.panel)

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Change several controls (or their options) with a single recompute at the end."""
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet
        if not quiet:
            self._refresh_shown()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.view._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self._repr_html_()
        bundle["text/plain"] = repr(self)
        return bundle

    def _repr_html_(self) -> str:
        return panel_html(self.title, self.values, self.panel)

    def __repr__(self) -> str:
        return panel_text(type(self).__name__, self.values, self.panel)


def rows_where(frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    """The rows whose `column` equals `value` (text compared case-insensitively); all when None."""
    if value is None or frame.empty:
        return frame
    values = frame[column]
    if isinstance(value, str):
        keep = values.astype("string").str.lower() == value.lower()
    else:
        keep = values == value
    return frame[keep.fillna(False).astype(bool)].reset_index(drop=True)


def values_of(frame: pd.DataFrame, column: str) -> list[str]:
    """The distinct non-null values of a column as sorted text (dropdown options)."""
    if column not in frame.columns:
        return []
    return sorted({str(value) for value in frame[column].dropna()})


def time_bin(frame: pd.DataFrame, column: str = "activity_time") -> str:
    """A bin width for timelines of `frame`: 1h up to 2 days, 6h up to 14 days, else 1d."""
    times = frame[column].dropna() if column in frame.columns else pd.Series(dtype=object)
    span = times.max() - times.min() if len(times) else pd.Timedelta(0)
    if span <= pd.Timedelta(days=2):
        return "1h"
    return "6h" if span <= pd.Timedelta(days=14) else "1d"
