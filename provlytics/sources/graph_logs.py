"""`fetch_logs`: provisioning logs from Microsoft Graph, by time window, resumable from a spool.

The span [since, until) is cut into windows planned as the fetch goes (`sources/windows.py`):
they start `window=` long and widen while they come back small, so a quiet range costs a few
requests instead of one per day. Each window is paged through `@odata.nextLink` under the
reports rate limit; every raw page is spooled and the checkpoint (the next link, the plan)
saved before the page is normalized. An expired `$skiptoken` costs at most one window: a wide
one is cut at its middle and its first half fetched again, a `window=`-long one restarts from
its first link; de-duplication on event id makes the overlap safe.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from provlytics.errors import ConfigError, GraphError
from provlytics.graph.client import GraphClient
from provlytics.graph.odata import TimeLike, build_filter, format_time, parse_time
from provlytics.graph.ratelimit import RateLimiter
from provlytics.normalize.batch import PageTables, normalize_page
from provlytics.origin import Origin, Page
from provlytics.progress import paused_gc, progress_bar
from provlytics.sources.windows import plan_next, split_window, start_plan
from provlytics.spool import Checkpoint, Spool, WindowState
from provlytics.tables import FramesBuilder, ProvisioningFrames

logger = logging.getLogger(__name__)

LOGS_PATH = "auditLogs/provisioning"
DEFAULT_TOP = 500
MAX_WINDOW_RESTARTS = 3
_SPAN = re.compile(r"^\s*\d+(?:\.\d+)?\s*[dhms]\s*$", re.IGNORECASE)
SKIPTOKEN_CODES = frozenset({"DirectoryPageTokenNotFound", "InvalidPageToken", "SkipTokenExpired"})


def fetch_logs(
    client: GraphClient,
    *,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    status: str | None = None,
    action: str | None = None,
    job_id: str | None = None,
    service_principal_id: str | None = None,
    identity: str | None = None,
    top: int = DEFAULT_TOP,
    spool: str | Path | Spool | None = None,
    resume: bool = True,
    incremental: bool = False,
    window: str = "1d",
    overlap: str = "5m",
    out: str | Path | None = None,
    progress: bool | None = None,
    max_wait: float | None = None,
    now: datetime | None = None,
) -> ProvisioningFrames:
    """Fetch provisioning logs into de-duplicated tables, resumably.

    Example:
        >>> frames = fetch_logs(client, since="7d", status="failure", spool="spool/")

    Args:
        since, until: datetimes, ISO text or relative spans ("7d", "12h"); strict `gt`/`lt`.
        status, action, job_id, service_principal_id, identity: server-side `$filter` criteria.
        top: page size (`$top`).
        spool: a folder keeping raw pages and a checkpoint; a re-run with the same parameters
            re-reads the spooled pages and resumes at the saved next link.
        resume: resume an unfinished run in `spool`; False discards it.
        incremental: fetch only what is newer than the spool's watermark minus `overlap`.
        window: the first and shortest time slice fetched as one unit ("1d", "6h"); later
            windows widen while they come back as a single page.
        out: also write (or merge into) a Parquet dataset folder.
        progress: show a progress bar (None: only in a terminal or notebook); waits for rate
            limits and throttling show in its postfix.
        max_wait: the seconds of waiting (rate limit, Retry-After, backoff) accepted in total;
            None waits as long as Graph asks.
        now: the current time, for relative spans (tests).

    Raises:
        ConfigError: invalid criteria, `incremental` without a spool, or a spooled unfinished
            run with other parameters (and `resume`).
        ThrottledError: waiting longer would exceed `max_wait` (the spool keeps the progress).
        GraphError, UnsafeRedirectError, InputError: from the client or a bad page.
    """
    now = parse_time(now) if now is not None else datetime.now(UTC)
    box = spool if isinstance(spool, Spool) or spool is None else Spool(spool)
    if incremental and box is None:
        raise ConfigError(
            "incremental=True needs a spool folder (spool=, --spool) for its watermark"
        )
    criteria = build_filter(
        status=status,
        action=action,
        job_id=job_id,
        service_principal_id=service_principal_id,
        identity=identity,
    )
    params = {
        "filter": criteria,
        "since": _as_text(since),
        "until": _as_text(until),
        "top": _check_top(top),
        "version": client.version,
        "window": window,
        "overlap": overlap if incremental else None,
        "incremental": incremental,
    }
    start = _start_time(since, box, criteria or "", incremental, overlap, now)
    end = parse_time(until, now) if until is not None else None
    windows, plan = start_plan(start, end, criteria, span=_span(window, now))
    if box is not None:
        run = box.start(params, windows, resume=resume, plan=plan)
    else:
        run = Checkpoint(params, windows, plan=plan)
    frames = _fetch_run(client, run, box, top, progress, max_wait, now)
    if incremental and box is not None:
        _advance_watermark(box, frames, criteria or "")
    if out is not None:
        frames.to_parquet(out, store=True)
    return frames


def is_expired_skiptoken(error: GraphError) -> bool:
    """Whether Graph refused a page because its `$skiptoken` expired or is invalid."""
    if error.status != 400:
        return False
    return error.code in SKIPTOKEN_CODES or "skiptoken" in (error.message or "").lower().replace(
        " ", ""
    )


def _fetch_run(
    client: GraphClient,
    run: Checkpoint,
    box: Spool | None,
    top: int,
    progress: bool | None,
    max_wait: float | None,
    now: datetime,
) -> ProvisioningFrames:
    builder = FramesBuilder()
    limiter = client.reports_limiter
    disable = None if progress is None else not progress
    with (
        paused_gc(),
        progress_bar("Fetching", disable=disable) as bar,
        client.http.waiting(max_wait=max_wait, on_wait=lambda s, why: _show_wait(bar, s, why)),
    ):
        index = 0
        while (window := _window_at(run, box, index, now)) is not None:
            for page in _window_tables(client, run, box, window, top, bar, limiter, now):
                builder.add(page, _source(client))
            index += 1
    frames = builder.build()
    logger.info("fetched %s from %d records", frames, frames.records_read)
    return frames


def _window_tables(
    client: GraphClient,
    run: Checkpoint,
    box: Spool | None,
    window: WindowState,
    top: int,
    bar: Any,
    limiter: RateLimiter,
    now: datetime,
) -> list[PageTables]:
    """All pages of one window, normalized; cut or restarted on an expired page token."""
    while True:
        tables = [normalize_page(page) for page in _spooled_pages(box, window, client)]
        bar.update(window.records)
        if window.done:
            return tables
        try:
            for page in _live_pages(client, window, top, limiter):
                _record_page(run, box, window, page)
                tables.append(normalize_page(page))
                _show(bar, limiter, window, len(page.records))
            return tables
        except GraphError as exc:
            if not is_expired_skiptoken(exc):
                raise
            bar.update(-window.records)
            if split_window(window, run.plan, now=now):
                _forget(box, window, f"cut at {window.until}", exc)
            elif window.restarts < MAX_WINDOW_RESTARTS:
                window.restarts += 1
                _forget(box, window, "restarting it", exc)
            else:
                raise


def _live_pages(
    client: GraphClient, window: WindowState, top: int, limiter: RateLimiter
) -> Iterator[Page]:
    if window.next_link is not None:
        return client.iter_pages(window.next_link, limiter=limiter, start_page=window.pages + 1)
    params: dict[str, Any] = {"$top": top}
    if window.filter:
        params["$filter"] = window.filter
    return client.iter_pages(LOGS_PATH, params=params, limiter=limiter)


def _record_page(run: Checkpoint, box: Spool | None, window: WindowState, page: Page) -> None:
    """Spool the raw page, then advance and save the checkpoint."""
    number = page.origin.page or window.pages + 1
    next_link = page.meta.get("next_link")
    if box is not None:
        body = {"url": page.meta.get("url"), "value": page.records, "@odata.nextLink": next_link}
        box.write_page(window, number, body)
    window.pages, window.records = number, window.records + len(page.records)
    window.next_link, window.done = next_link, next_link is None
    if box is not None:
        box.save()
    logger.info(
        "window %d (%s to %s) page %d: %d records from %s",
        window.index + 1,
        window.since or "start",
        window.until or "now",
        number,
        len(page.records),
        page.origin.source,
    )


def _spooled_pages(box: Spool | None, window: WindowState, client: GraphClient) -> Iterator[Page]:
    if box is None:
        return
    for number in range(1, window.pages + 1):
        body = box.read_page(window, number)
        url = body.get("url") or client.url(LOGS_PATH)
        origin = Origin(url.split("?", 1)[0], page=number)
        meta = {"url": url, "next_link": body.get("@odata.nextLink"), "spooled": True}
        yield Page(records=body.get("value") or [], origin=origin, meta=meta)


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


def _show_wait(bar: Any, seconds: float, reason: str) -> None:
    """Say in the bar that the fetch is waiting, and why, before the wait starts."""
    bar.set_postfix_str(f"waiting {seconds:.1f}s ({reason})", refresh=True)


def _source(client: GraphClient) -> str:
    return client.url(LOGS_PATH)


def _start_time(
    since: TimeLike | None,
    box: Spool | None,
    key: str,
    incremental: bool,
    overlap: str,
    now: datetime,
) -> datetime | None:
    start = parse_time(since, now) if since is not None else None
    watermark = box.read_watermark(key) if incremental and box is not None else None
    if watermark is None:
        return start
    resume_at = parse_time(watermark) - _span(overlap, now)
    return resume_at if start is None else max(start, resume_at)


def _advance_watermark(box: Spool, frames: ProvisioningFrames, key: str) -> None:
    times = frames.table("events")["activity_time"]
    newest = pc.max(times).as_py() if len(times) else None
    if newest is None:
        return
    previous = box.read_watermark(key)
    if previous is None or parse_time(previous) < newest:
        box.write_watermark(format_time(newest), key)


def _span(text: str, now: datetime) -> timedelta:
    """A duration from "1d"/"6h"/"30m"/"45s"."""
    span = now - parse_time(text, now) if _SPAN.match(str(text)) else timedelta(0)
    if span <= timedelta(0):
        raise ConfigError(f"expected a positive span such as '1d', '6h' or '5m', got {text!r}")
    return span


def _as_text(value: TimeLike | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_time(value)


def _check_top(top: int) -> int:
    if not isinstance(top, int) or not 1 <= top <= 999:
        raise ConfigError(f"top must be a page size from 1 to 999, got {top!r} (top=, --top)")
    return top
