"""The controls of the widgets: every one checks a value set in code (`Guarded`).

A value a control cannot take is said in the widget's headline and the control stays as it
was; an accepted value equal to the current one still replaces such a notice. Dropdowns of
the values present (`TextChoice`, built by `choice`), toggles of fixed options (`TextToggle`),
whole days (`DayPicker`) and a checkbox (`TickBox`).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as ipw
import numpy as np
import traitlets

from provlytics.analysis.notices import absent_message, closest
from provlytics.errors import ConfigError

ALL = "(all)"
"""Label of the option that selects every value of a dropdown (its value is None)."""


class Guarded:
    """What every control of a widget shares: a value set in code (as a user would), None
    included (`_ChecksNone`), is checked by `_accept`, which returns the value to keep (e.g.
    "slack" -> "Slack") or raises `ConfigError` saying why not. A refused value leaves the
    control as it was and goes to `on_refused(message)`, which the widget sets to its
    `show_notice` (the headline), so no `TraitError` is raised out of the control; without
    `on_refused` (while the widget is built from its arguments) the `ConfigError` is raised.
    An accepted value equal to the current one (which traitlets reports to no observer) goes
    to `on_kept(control)`: the widget clears a notice, and a user's pick counts as made."""

    on_refused: Callable[[str], None] | None = None
    on_kept: Callable[[Any], None] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        trait = getattr(cls, "value", None)
        if isinstance(trait, traitlets.TraitType) and not isinstance(trait, _ChecksNone):
            checked = copy.copy(trait)  # the same trait (default, sync, serializers) ...
            checked.__class__ = _checking_none(type(trait))  # ... that checks None too
            checked.class_init(cls, "value")
            cls.value = checked

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


class _ChecksNone:
    """Mixed into the `value` trait of every `Guarded` control. traitlets hands None to a
    trait that allows it without asking any validator (`TraitType._validate`), so None set on
    a control skipped `_accept` (a toggle of fixed options took it) and, when the value was
    None already, `on_kept` too: a notice stayed in the headline. Here None is checked like
    any other value."""

    def _validate(self, obj: Any, value: Any) -> Any:
        if value is None and obj._cross_validation_lock is False:
            return self._cross_validate(obj, value)  # type: ignore[attr-defined]
        return super()._validate(obj, value)  # type: ignore[misc]


@functools.cache
def _checking_none(kind: type) -> type:
    """`kind` (a traitlets TraitType class) whose None goes through the validators."""
    return type(f"{kind.__name__}CheckingNone", (_ChecksNone, kind), {})


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
    options are fixed rather than the values present), each named with its label in `apps`
    (a job's app, "scim.f38b... (Contoso Expenses (SCIM))") when it has one. A value equal to
    the label of exactly one option selects that option, and `taken` says so until the
    widget's headline takes it (`taken_note`). None, a
    dropdown's "no selection", selects the option whose value is None (`(all)`) where there
    is one; toggles of fixed options refuse it."""

    fixed = False
    apps: Mapping[str, str] = {}
    taken: str | None = None

    def _accept(self, value: Any) -> Any:
        self.taken = None
        values = list(self._options_values)  # type: ignore[attr-defined]
        if value in values or (value is None and not self.fixed):
            return value
        offered = [option for option in values if isinstance(option, str)]
        if isinstance(value, str):
            match = next((o for o in offered if o.lower() == value.strip().lower()), None)
            if match is not None:
                return match
            wanted = value.strip().casefold()
            named = [o for o in offered if self.apps.get(o, "").strip().casefold() == wanted]
            if len(named) == 1 and wanted:  # the app of exactly one job: that job
                if named[0] != self.value:  # type: ignore[attr-defined]
                    what = self.description  # type: ignore[attr-defined]
                    self.taken = f"{what} {value!r} is the app of {named[0]}, selected"
                return named[0]
        what = self.description  # type: ignore[attr-defined]
        if self.fixed:
            message = fixed_message(what, value, offered)
        else:
            message = absent_message(what, value, offered, labels=self.apps)
        if self.on_refused is not None:
            message += "; the selection stays as it was"
        raise ConfigError(message)


class TextChoice(_Options, ipw.Dropdown):
    """A dropdown of values present; text set as its value is compared case-insensitively,
    a value not present is refused (`Guarded`) naming the closest present."""

    @traitlets.observe("value")
    def _propagate_value(self, change: dict[str, Any]) -> None:
        """ipywidgets' own, except that None shows the option whose value is None (`(all)`)
        rather than a blank dropdown."""
        values = list(self._options_values)
        if change["new"] is None and None in values:
            self.index = values.index(None)
        else:
            super()._propagate_value(change)


class TickBox(Guarded, ipw.Checkbox):
    """A checkbox: True or False (or 1 or 0, as traitlets takes them); any other value is
    refused (`Guarded`) saying what it takes, the box as it was."""

    value = traitlets.Any(False).tag(sync=True)  # any value reaches `_accept`, not a TraitError

    def _accept(self, value: Any) -> Any:
        if isinstance(value, bool | np.bool_) or (type(value) is int and value in (0, 1)):
            return bool(value)
        shown = "ticked" if self.value else "unticked"
        stays = f" (the box stays {shown})" if self.on_refused else ""
        raise ConfigError(f"{self.description} {value!r} is not True or False{stays}")


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


def choice(
    description: str,
    values: list[Any],
    *,
    labels: list[str] | None = None,
    apps: Mapping[str, str] | None = None,
) -> TextChoice:
    """A dropdown whose first option, `(all)`, has the value None; text set as its value is
    compared case-insensitively (`TextChoice`: "slack" selects "Slack"), other values are
    refused into the widget's headline (`Guarded`), the closest named with their label in
    `apps` (value -> label: a job's app, `job_apps`)."""
    options = all_options(values, labels=labels)
    control = TextChoice(description=description, options=options)
    control.apps = dict(apps or {})
    return control


def taken_note(control: Any) -> str:
    """ "Job 'Slack' is the app of slack.f38b..., selected; " when the last value set on
    `control` was taken as the option whose app it is (`_Options.taken`), else ""; said once:
    the note is cleared."""
    taken, control.taken = getattr(control, "taken", None), None
    return f"{taken}; " if taken else ""


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
