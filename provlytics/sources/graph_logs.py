"""Provisioning log pages from Microsoft Graph, by time window, resumable from a spool.

`provlytics.pipeline.fetch.fetch_logs` drives it: `start_run` plans the run (or resumes the
spooled one) and `fetch_pages` yields its pages, as text (live, or replayed from the spool),
with a mark at the end of each window and when a window starts over.

The span [since, until) is cut into windows planned as the fetch goes (`sources/windows.py`):
they start `window=` long and widen while they come back small, so a quiet range costs a few
requests instead of one per day. Each window is paged through `@odata.nextLink` under the
reports rate limit; every raw page is spooled and the checkpoint (the next link, the plan)
saved before the page is yielded. An expired `$skiptoken` costs at most one window: a wide
one is cut at its middle and its first half fetched again, a `window=`-long one restarts from
its first link; de-duplication on event id makes the overlap safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from provlytics.errors import ConfigError, GraphError
from provlytics.graph.client import GraphClient
from provlytics.graph.odata import build_filter, format_time
from provlytics.graph.ratelimit import RateLimiter
from provlytics.origin import Container, Origin, Page, Paging, Place
from provlytics.sources.windows import plan_next, split_window, start_plan
from provlytics.spool import Checkpoint, Spool, SpooledPage, WindowState
from provlytics.timebounds import TimeBound, parse_duration, parse_time, window_times

logger = logging.getLogger(__name__)

LOGS_PATH = "auditLogs/provisioning"
DEFAULT_TOP = 500
MAX_WINDOW_RESTARTS = 3
SKIPTOKEN_CODES = frozenset({"DirectoryPageTokenNotFound", "InvalidPageToken", "SkipTokenExpired"})


@dataclass(frozen=True, slots=True)
class WindowDone:
    """Every page of `window` was yielded: its tables count."""

    window: WindowState


@dataclass(frozen=True, slots=True)
class WindowRestart:
    """`window` starts over (its page token expired): forget the pages it yielded so far."""

    window: WindowState


FetchItem = Page | WindowDone | WindowRestart


class IncrementalStart(NamedTuple):
    """Where an incremental run starts, and why.

    Attributes:
        at: the fetch's lower bound; None: everything Graph keeps.
        basis: "watermark" (the spool's, minus the overlap), "held" (no watermark yet: the
            newest event already held where the fetch writes, minus the overlap), "since"
            (`since`, later than either) or "nothing" (no watermark, no event, no `since`).
        mark: the watermark or the newest held event; None when there is neither.
    """

    at: datetime | None
    basis: str
    mark: datetime | None


class Run(NamedTuple):
    """A planned (or resumed) fetch: its checkpoint, its spool, its `$filter` without times
    (the key of its incremental watermark), and where an incremental run starts."""

    checkpoint: Checkpoint
    spool: Spool | None
    criteria: str
    incremental: IncrementalStart | None = None


def start_run(
    client: GraphClient,
    *,
    since: TimeBound,
    until: TimeBound,
    criteria: dict[str, str | None],
    top: int,
    spool: str | Path | Spool | None,
    resume: bool,
    incremental: bool,
    window: str,
    overlap: str,
    now: datetime,
    held: Callable[[], datetime | None] | None = None,
) -> Run:
    """Plan the windows of a fetch from `since` (or, incremental, the spool's watermark) to
    `until`, or resume the unfinished run of the same parameters in `spool`.

    Args:
        criteria: `build_filter` keywords (status, action, job_id, ...).
        window: the first window's length, a positive duration ("1d", "6h").
        overlap: how far before the watermark an incremental run starts, a duration of zero
            or more ("5m", "0s"); checked whether or not the run is incremental.
        held: the newest event already held where the fetch writes (called only by an
            incremental run whose spool has no watermark for these criteria, which then
            starts there, minus `overlap`).

    Raises:
        ConfigError: a `window` or `overlap` that `timebounds.parse_duration` does not take,
            invalid criteria, a `since`/`until` that cannot be read or `since` not before
            `until` (`timebounds.window_times`), `incremental` without a spool, or a spooled
            unfinished run with other parameters (and `resume`); all but the last before
            anything is written or requested.
    """
    span = parse_duration(window, "window")
    back = parse_duration(overlap, "overlap", zero=True)
    box = spool if isinstance(spool, Spool) or spool is None else Spool(spool)
    if incremental and box is None:
        raise ConfigError(
            "incremental=True needs a spool folder (spool=, --spool) for its watermark"
        )
    where = build_filter(**criteria)
    params = {
        "filter": where,
        "since": _as_text(since),
        "until": _as_text(until),
        "top": _check_top(top),
        "version": client.version,
        "window": window,
        "overlap": overlap if incremental else None,
        "incremental": incremental,
    }
    start, end = window_times(since, until, now)
    begin = None
    if incremental and box is not None:
        begin = _incremental_start(start, box.read_watermark(where or ""), held, back)
        start = begin.at
    windows, plan = start_plan(start, end, where, span=span)
    if box is not None:
        run = box.start(params, windows, resume=resume, plan=plan)
    else:
        run = Checkpoint(params, windows, plan=plan)
    return Run(run, box, where or "", begin)


def fetch_pages(
    client: GraphClient, run: Run, *, top: int, bar: Any, now: datetime
) -> Iterator[FetchItem]:
    """Every page of the run, window by window: first a window's spooled pages, then its
    live ones (each spooled and counted in the checkpoint before it is yielded), then
    `WindowDone`; `WindowRestart` when an expired page token makes a window start over.

    Raises:
        GraphError, UnsafeRedirectError, InputError: from the client or a bad page.
    """
    index = 0
    while (window := _window_at(run.checkpoint, run.spool, index, now)) is not None:
        yield from _window_pages(client, run, window, top, bar, now)
        yield WindowDone(window)
        index += 1


def is_expired_skiptoken(error: GraphError) -> bool:
    """Whether Graph refused a page because its `$skiptoken` expired or is invalid."""
    if error.status != 400:
        return False
    return error.code in SKIPTOKEN_CODES or "skiptoken" in (error.message or "").lower().replace(
        " ", ""
    )


def _window_pages(
    client: GraphClient, run: Run, window: WindowState, top: int, bar: Any, now: datetime
) -> Iterator[FetchItem]:
    """All pages of one window; cut or restarted on an expired page token."""
    limiter = client.reports_limiter
    box = run.spool
    while True:
        yield from _spooled_pages(box, window, client)
        bar.update(window.records)
        if window.done:
            return
        try:
            for page in _live_pages(client, window, top, limiter):
                count = _record_page(run.checkpoint, box, window, page)
                page.origin = replace(page.origin, source=window_source(page.origin.source, window))
                yield page
                _show(bar, limiter, window, count)
            return
        except GraphError as exc:
            if not is_expired_skiptoken(exc):
                raise
            bar.update(-window.records)
            if split_window(window, run.checkpoint.plan, now=now):
                _forget(box, window, f"cut at {window.until}", exc)
            elif window.restarts < MAX_WINDOW_RESTARTS:
                window.restarts += 1
                _forget(box, window, "restarting it", exc)
            else:
                raise
            yield WindowRestart(window)


def _live_pages(
    client: GraphClient, window: WindowState, top: int, limiter: RateLimiter
) -> Iterator[Page]:
    if window.next_link is not None:
        start = window.pages + 1
        return client.iter_pages(window.next_link, limiter=limiter, start_page=start, as_text=True)
    params: dict[str, Any] = {"$top": top}
    if window.filter:
        params["$filter"] = window.filter
    return client.iter_pages(LOGS_PATH, params=params, limiter=limiter, as_text=True)


def _record_page(run: Checkpoint, box: Spool | None, window: WindowState, page: Page) -> int:
    """Spool the page as received, then advance and save the checkpoint; its record count."""
    number = page.origin.page or window.pages + 1
    paging = page.paging or Paging(page.origin.source)
    count = paging.records or 0
    if box is not None:
        value = msgspec.json.decode(page.data, type=SpooledPage).value  # type: ignore[arg-type]
        box.write_page_text(window, number, SpooledPage(value, paging.url, paging.next_link))
    window.pages, window.records = number, window.records + count
    window.next_link, window.done = paging.next_link, paging.next_link is None
    if box is not None:
        box.save()
    logger.info(
        "window %d (%s to %s) page %d: %d records from %s",
        window.index + 1,
        window.since or "start",
        window.until or "now",
        number,
        count,
        page.origin.source,
    )
    return count


def window_source(url: str, window: WindowState) -> str:
    """A fetched page's source as errors name it: its URL and its window's UTC bounds, as
    page numbers start again in each window ("https://.../provisioning (window
    2026-11-20T00:00:00Z to 2026-11-21T00:00:00Z)"); the URL alone for an unbounded fetch
    (one window)."""
    if window.since is None and window.until is None:
        return url
    return f"{url} (window {window.since or 'start'} to {window.until or 'now'})"


def _spooled_pages(box: Spool | None, window: WindowState, client: GraphClient) -> Iterator[Page]:
    """A window's spooled pages, their records as the JSON text of their array."""
    if box is None:
        return
    for number in range(1, window.pages + 1):
        spooled = box.read_page_text(window, number)
        url = spooled.url or client.url(LOGS_PATH)
        source = window_source(url.split("?", 1)[0], window)
        origin = Origin(source, page=number, place=Place.SPOOL)
        paging = Paging(url, spooled.next_link)
        yield Page(origin, Container.GRAPH_PAGE, data=bytes(spooled.value), paging=paging)


def _window_at(run: Checkpoint, box: Spool | None, index: int, now: datetime) -> WindowState | None:
    """Window `index` of the run, planned now if it is the next one; None after the last."""
    if index < len(run.windows):
        return run.windows[index]
    window = plan_next(run.windows, run.plan, now=now)
    if window is not None and box is not None:
        box.save()
    return window


def _forget(box: Spool | None, window: WindowState, action: str, error: GraphError) -> None:
    """Drop a window's pages and progress after its page token expired (to fetch it again)."""
    logger.warning(
        "window %d: the page token expired after %d pages (%s); %s",
        window.index + 1,
        window.pages,
        error.code,
        action,
    )
    if box is not None:
        box.discard_window(window)
        box.save()
    else:
        window.next_link, window.done, window.pages, window.records = None, False, 0, 0


def _show(bar: Any, limiter: RateLimiter, window: WindowState, count: int) -> None:
    bar.update(count)
    wait = limiter.wait_time()
    bar.set_postfix(
        window=window.index + 1,
        pages=window.pages,
        throttle=f"{wait:.1f}s",
        refresh=False,
    )


def _incremental_start(
    start: datetime | None,
    watermark: str | None,
    held: Callable[[], datetime | None] | None,
    overlap: timedelta,
) -> IncrementalStart:
    """The watermark (else the newest held event) minus the overlap, or `start` if later."""
    mark, basis = (parse_time(watermark), "watermark") if watermark is not None else (None, "")
    if mark is None and held is not None:
        mark, basis = held(), "held"
    if mark is None:
        return IncrementalStart(start, "nothing" if start is None else "since", None)
    resume_at = mark - overlap
    if start is not None and start > resume_at:
        return IncrementalStart(start, "since", mark)
    return IncrementalStart(resume_at, basis, mark)


def _as_text(value: TimeBound) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_time(value)


def _check_top(top: int) -> int:
    if not isinstance(top, int) or not 1 <= top <= 999:
        raise ConfigError(f"top must be a page size from 1 to 999, got {top!r} (top=, --top)")
    return top
