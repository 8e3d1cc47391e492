"""The base of every investigation widget: controls, a recomputed `.result`, a live view.

A widget holds no analysis: on every control change it asks `pv.analysis` for its answer and
`pv.plots` for its charts (through `_compute`, which subclasses implement), keeps the answer in
`.result`, and shows it in an `ipywidgets.VBox` (title, controls, an `Output` holding the tables
and plots). Outside a notebook frontend that can draw widgets, the same answer is shown as static
HTML or text (`_repr_mimebundle_`).
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as ipw
import pandas as pd
import traitlets

from provlytics.analysis.notices import absent_message, closest
from provlytics.errors import ConfigError, ProvlyticsError
from provlytics.widgets.render import Panel, output_items, panel_html, panel_text

if TYPE_CHECKING:
    from provlytics.tables import ProvisioningFrames
    from provlytics.widgets.filters import FilterBar

logger = logging.getLogger(__name__)

ALL = "(all)"
"""Label of the option that selects every value of a dropdown (its value is None)."""


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


class Guarded:
    """What every control of a widget shares: a value set in code (as a user would) is checked
    by `_accept`, which returns the value to keep (e.g. "slack" -> "Slack") or raises
    `ConfigError` saying why not. A refused value leaves the control as it was and goes to
    `on_refused(message)`, which the widget sets to its `show_notice` (the headline), so no
    `TraitError` is raised out of the control; without `on_refused` (while the widget is
    built from its arguments) the `ConfigError` is raised. An accepted value equal to the
    current one (which traitlets reports to no observer) goes to `on_kept(control)`: the
    widget clears a notice, and a user's pick counts as made."""

    on_refused: Callable[[str], None] | None = None
    on_kept: Callable[[Any], None] | None = None

    def _accept(self, value: Any) -> Any:
        return value

    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        try:
            value = self._accept(proposal["value"])
        except ConfigError as exc:
            if self.on_refused is None:
                raise
            self.on_refused(str(exc))
            return self.value  # type: ignore[attr-defined]
        parent = getattr(super(), "_validate_value", None)
        if parent is not None:
            value = parent(traitlets.Bunch(proposal, value=value))
        if self.on_kept is not None and _same(value, self.value):  # type: ignore[attr-defined]
            self.on_kept(self)
        return value


def _same(value: Any, current: Any) -> bool:
    """Whether traitlets would see no change (and so tell no observer)."""
    try:
        return type(value) is type(current) and bool(value == current)
    except (TypeError, ValueError):
        return False


class _Options(Guarded):
    """A choice among options: text is compared case-insensitively and becomes the option
    present ("duplicatetargetentries" -> "DuplicateTargetEntries"); a value matching no
    option is refused with the closest options (`absent_message`, or `fixed_message` when the
    options are fixed rather than the values present)."""

    fixed = False

    def _accept(self, value: Any) -> Any:
        values = list(self._options_values)  # type: ignore[attr-defined]
        if value in values or (value is None and not values):
            return value
        offered = [option for option in values if isinstance(option, str)]
        if isinstance(value, str):
            match = next((o for o in offered if o.lower() == value.strip().lower()), None)
            if match is not None:
                return match
        what = self.description  # type: ignore[attr-defined]
        message = (fixed_message if self.fixed else absent_message)(what, value, offered)
        if self.on_refused is not None:
            message += "; the selection stays as it was"
        raise ConfigError(message)


class TextChoice(_Options, ipw.Dropdown):
    """A dropdown of values present; text set as its value is compared case-insensitively,
    a value not present is refused (`Guarded`) naming the closest present."""


class TextToggle(_Options, ipw.ToggleButtons):
    """Toggle buttons of fixed options; text set as their value is compared
    case-insensitively, any other value is refused (`Guarded`) naming the options."""

    fixed = True


class DayPicker(Guarded, ipw.DatePicker):
    """A date picker of whole days that also takes ISO text of a day ("2026-11-19") or a
    datetime/Timestamp at midnight (UTC or naive) as that day. A time of day (text or
    datetime, "2026-11-19T10:00") is refused rather than dropped, pointing to
    `pv.analysis.filter_frames(frames, <keyword>=...)`, which takes times; anything else is
    refused as no day (`Guarded`). `keyword`: the `filter_frames` argument the day feeds."""

    def __init__(self, *, keyword: str, **kwargs: Any) -> None:
        self.keyword = keyword
        super().__init__(**kwargs)

    def _accept(self, value: Any) -> Any:
        if value is None or type(value) is dt.date:
            return value
        moment = value if isinstance(value, dt.datetime) else None  # a pandas Timestamp too
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
        if moment is not None and moment.time() == dt.time(0) and _utc_or_naive(moment):
            return moment.date()
        shown = "none" if self.value is None else f"{self.value:%Y-%m-%d}"
        stays = f" (the day stays {shown})" if self.on_refused else ""
        if moment is not None:
            text = value.strip() if isinstance(value, str) else moment.isoformat()
            day = moment if moment.tzinfo is None else moment.astimezone(dt.UTC)
            raise ConfigError(
                f"{self.description} {value!r} has a time of day; the bar picks whole days "
                f"(UTC): give a day such as '{day:%Y-%m-%d}', or select by time with "
                f"pv.analysis.filter_frames(frames, {self.keyword}={text!r}){stays}"
            )
        raise ConfigError(
            f"{self.description} {value!r} is not a day; give a datetime.date or ISO text "
            f"such as '2026-11-19'{stays}"
        )


def _utc_or_naive(moment: dt.datetime) -> bool:
    offset = moment.utcoffset()
    return offset is None or offset == dt.timedelta(0)


def fixed_message(what: str, value: Any, offered: list[str]) -> str:
    """ "Status 'failed' is not one of failure, warning, both (closest: failure)" for a
    value not among fixed options."""
    close = closest(offered, str(value), cutoff=0.6)
    hint = f" (closest: {', '.join(close)})" if close else ""
    return f"{what} {value!r} is not one of {', '.join(offered)}{hint}"


def choice(description: str, values: list[Any], *, labels: list[str] | None = None) -> TextChoice:
    """A dropdown whose first option, `(all)`, has the value None; text set as its value is
    compared case-insensitively (`TextChoice`: "slack" selects "Slack"), other values are
    refused into the widget's headline (`Guarded`)."""
    options = all_options(values, labels=labels)
    return TextChoice(description=description, options=options)


def all_options(values: list[Any], *, labels: list[str] | None = None) -> list[tuple[str, Any]]:
    """`[("(all)", None), (label, value), ...]` for a dropdown."""
    labels = labels or [str(value) for value in values]
    return [(ALL, None), *zip(labels, values, strict=True)]


def set_options(control: ipw.Dropdown, options: list[tuple[str, Any]]) -> None:
    """Replace a dropdown's options, keeping its value when it is still offered."""
    value = control.value
    control.options = options
    offered = [option for _, option in options]
    if value in offered:
        control.value = value
    elif offered:
        control.value = offered[0]


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
