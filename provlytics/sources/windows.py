"""The time windows of a log fetch, planned as it goes so that requests track pages.

A fetch of [start, end) is paged window by window, each window with its own `$filter`. Fixed
one-day windows cost a request per day even when a day holds nothing: 30 requests (a minute
under the 5-per-10-s limit) for a quiet month. Here the next window is planned only when the
previous one is done, from what that one cost:

- the first window is `window=` long (default one day), and no window is ever shorter;
- after a window that took a single request, the next one is twice as long, so a quiet
  30-day range costs 5 requests (1 + 2 + 4 + 8 + 16 days, the last one cut at the end);
- after a window that took more than `DENSE_PAGES` pages, the next one is half as long.

Windows stay the unit of protection against expired `$skiptoken`s (Graph does not promise any
order inside a window, so what a broken window already received says nothing about which part
of its time range is covered): a window wider than `window=` whose page token expires is cut at
its middle, its first half fetched again from its first link and the rest handed back to the
plan; a window of the minimum length restarts whole. Events near a cut arrive twice at most,
and the tables de-duplicate on event id.

Windows after the first start `WINDOW_EDGE` before their lower bound: `gt` is strict, so an
event stamped exactly on a boundary would otherwise fall between two windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from provlytics.graph.odata import build_filter, format_time
from provlytics.spool import WindowPlan, WindowState
from provlytics.timebounds import parse_time

DENSE_PAGES = 20
GROWTH = 2
WINDOW_EDGE = timedelta(seconds=1)


def start_plan(
    start: datetime | None, end: datetime | None, criteria: str | None, *, span: timedelta
) -> tuple[list[WindowState], WindowPlan | None]:
    """The windows known up front and the plan for the rest.

    Without `start` the whole fetch is one window (open at both ends unless `end`), no plan.
    """
    if start is None:
        return [make_window(0, None, end, None, criteria)], None
    seconds = span.total_seconds()
    plan = WindowPlan(format_time(start), _text(end), seconds, seconds, criteria)
    return [], plan


def plan_next(
    windows: list[WindowState], plan: WindowPlan | None, *, now: datetime
) -> WindowState | None:
    """Append the next window to `windows` and advance `plan`; None when nothing is left."""
    if plan is None or plan.cursor is None:
        return None
    if windows:
        plan.span = next_span(plan.span, windows[-1].pages, min_span=plan.min_span)
    lower = parse_time(plan.cursor)
    stop = parse_time(plan.end) if plan.end is not None else now
    upper: datetime | None
    if plan.span >= (stop - lower).total_seconds():  # compared first: a window of 99999999d
        upper, plan.cursor = (stop if plan.end is not None else None), None  # overflows
    else:
        upper = lower + timedelta(seconds=plan.span)
        plan.cursor = format_time(upper)
    gt = lower if not windows else lower - WINDOW_EDGE
    window = make_window(len(windows), gt, upper, lower, plan.criteria)
    windows.append(window)
    return window


def next_span(span: float, pages: int, *, min_span: float) -> float:
    """The length of the window after one of `span` seconds that took `pages` pages."""
    if pages <= 1:
        return span * GROWTH
    if pages > DENSE_PAGES:
        return max(min_span, span / GROWTH)
    return span


def split_window(window: WindowState, plan: WindowPlan | None, *, now: datetime) -> bool:
    """Cut a window at its middle after its page token expired; False if it cannot be cut.

    The window keeps its first half (its progress must then be discarded by the caller); the
    plan resumes at the middle with half the window's length. Windows of the minimum length,
    and windows of a fetch without a plan (no start, or an old checkpoint), are not cut.
    """
    if plan is None or window.since is None:
        return False
    lower = parse_time(window.since)
    upper = parse_time(window.until) if window.until is not None else now
    half = (upper - lower) / 2
    if half.total_seconds() < plan.min_span:
        return False
    middle = lower + half
    gt = lower if window.index == 0 else lower - WINDOW_EDGE
    cut = make_window(window.index, gt, middle, lower, plan.criteria)
    window.until, window.filter = cut.until, cut.filter
    plan.cursor, plan.span = format_time(middle), half.total_seconds()
    return True


def make_window(
    index: int,
    gt: datetime | None,
    lt: datetime | None,
    lower: datetime | None,
    criteria: str | None,
) -> WindowState:
    """A window with its `$filter`: `activityDateTime gt .. and lt ..` plus `criteria`."""
    time_filter = build_filter(since=gt, until=lt)
    full = " and ".join(part for part in (time_filter, criteria) if part) or None
    return WindowState(index, _text(lower), _text(lt), full)


def _text(value: datetime | None) -> str | None:
    return format_time(value) if value is not None else None
