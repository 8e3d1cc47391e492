"""`fetch_logs`: provisioning logs from Microsoft Graph into tables, resumable from a spool.

The Graph source (`sources.graph_logs`) plans the windows and yields their pages, live or
replayed from the spool; here each page takes the one route (`route.page_tables`), a
window's tables count once the window is done, and once the run is done the watermark of
its criteria advances to the newest event fetched. The watermark says that every event of
its criteria up to it was fetched: an incremental run moves it always (from the watermark,
or from a later `since` the user asked for); a plain run only when it leaves no gap, that
is when it started at or before the watermark (or with no lower bound), or there is none
yet. An incremental run whose spool has no watermark yet starts at the newest event already
in `out` (a store filled by a load, or by a fetch of other criteria or spool), minus the
overlap, and says where it starts and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from provlytics.graph.client import GraphClient
from provlytics.graph.odata import format_time
from provlytics.pipeline import route
from provlytics.progress import paused_gc, progress_bar
from provlytics.sources.graph_logs import (
    DEFAULT_TOP,
    FetchItem,
    IncrementalStart,
    Run,
    WindowDone,
    WindowRestart,
    fetch_pages,
    start_run,
)
from provlytics.spool import Spool
from provlytics.tables import ProvisioningFrames
from provlytics.timebounds import TimeBound, parse_time

logger = logging.getLogger(__name__)


def fetch_logs(
    client: GraphClient,
    *,
    since: TimeBound = None,
    until: TimeBound = None,
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
    on_start: Callable[[str], None] | None = None,
) -> ProvisioningFrames:
    """Fetch provisioning logs into de-duplicated tables, resumably.

    Example:
        >>> frames = fetch_logs(client, since="7d", status="failure", spool="spool/")

    Args:
        since, until: dates, datetimes, ISO text or durations back from `now` ("7d", "12h",
            "30min", "2w"): `timebounds.parse_time`'s forms; strict `gt`/`lt`.
        status, action, job_id, service_principal_id, identity: server-side `$filter` criteria.
        top: page size (`$top`).
        spool: a folder keeping raw pages and a checkpoint; a re-run with the same parameters
            re-reads the spooled pages and resumes at the saved next link.
        resume: resume an unfinished run in `spool`; False discards it.
        incremental: fetch only what is newer than the spool's watermark minus `overlap`
            (the watermark of the same criteria: the newest event a completed fetch of them
            fetched, incremental or plain; without one, the newest event already in `out`,
            whatever its criteria, minus `overlap`; with neither, everything Graph keeps,
            or from `since`). `since` still applies when it is later. A plain fetch with a
            spool advances the watermark too, unless it started after it (a gap).
        window: the first and shortest time slice fetched as one unit, a positive duration
            ("1d", "6h", "90min": `timebounds.parse_duration`); later windows widen while
            they come back as a single page.
        overlap: how far before the watermark an incremental run starts, a duration of
            zero or more ("5m", "0s"); checked even when the run is not incremental.
        out: also write (or merge into) a Parquet dataset folder.
        progress: show a progress bar (None: only in a terminal or notebook); waits for rate
            limits and throttling show in its postfix.
        max_wait: the seconds of waiting (rate limit, Retry-After, backoff) accepted in total;
            None waits as long as Graph asks.
        now: the current time, for relative spans (tests).
        on_start: called with one sentence saying where an incremental run starts and why,
            before its first request (the sentence is also logged, INFO).

    Raises:
        ConfigError: a `window` that is no positive duration, an `overlap` that is no
            duration of zero or more (a month, a year and "1M" are refused), invalid
            criteria, a `since`/`until` that cannot be read or `since` not before `until`
            (all before any request, and before anything is spooled), `incremental` without
            a spool, or a spooled unfinished run with other parameters (and `resume`).
        ThrottledError: waiting longer would exceed `max_wait` (the spool keeps the progress).
        GraphError, UnsafeRedirectError, InputError: from the client or a bad page.
    """
    now = parse_time(now) if now is not None else datetime.now(UTC)
    criteria = {
        "status": status,
        "action": action,
        "job_id": job_id,
        "service_principal_id": service_principal_id,
        "identity": identity,
    }
    run = start_run(
        client,
        since=since,
        until=until,
        criteria=criteria,
        top=top,
        spool=spool,
        resume=resume,
        incremental=incremental,
        window=window,
        overlap=overlap,
        now=now,
        held=None if out is None else lambda: _newest_held(Path(out)),
    )
    if run.incremental is not None and run.spool is not None:
        sentence = _starting(run.incremental, run.spool, out, overlap)
        logger.info("%s", sentence)
        if on_start is not None:
            on_start(sentence)
    frames = _fetch(client, run, top, progress, max_wait, now)
    if run.spool is not None:
        previous = run.spool.read_watermark(run.criteria)
        if incremental or _leaves_no_gap(run.spool, run, previous):
            _advance_watermark(run.spool, frames, run.criteria, previous)
    if out is not None:
        frames.to_parquet(out, store=True)
    return frames


def _fetch(
    client: GraphClient,
    run: Run,
    top: int,
    progress: bool | None,
    max_wait: float | None,
    now: datetime,
) -> ProvisioningFrames:
    """The run's pages into frames."""
    disable = None if progress is None else not progress
    with (
        paused_gc(),
        progress_bar("Fetching", disable=disable) as bar,
        client.http.waiting(max_wait=max_wait, on_wait=lambda s, why: _show_wait(bar, s, why)),
    ):
        frames = route.frames_of(
            _finished_windows(fetch_pages(client, run, top=top, bar=bar, now=now))
        )
    logger.info("fetched %s from %d records", frames, frames.records_read)
    return frames


def _finished_windows(items: Iterator[FetchItem]) -> Iterator[route.NormalizedPage]:
    """The normalized pages of each window once it is done (a window that starts over
    forgets the pages it gave before)."""
    window: list[route.NormalizedPage] = []
    for item in items:
        if isinstance(item, WindowRestart):
            window.clear()
        elif isinstance(item, WindowDone):
            yield from window
            window.clear()
        else:
            window.append(route.page_tables(item))


def _show_wait(bar: Any, seconds: float, reason: str) -> None:
    """Say in the bar that the fetch is waiting, and why, before the wait starts."""
    bar.set_postfix_str(f"waiting {seconds:.1f}s ({reason})", refresh=True)


def _advance_watermark(
    box: Spool, frames: ProvisioningFrames, key: str, previous: str | None
) -> None:
    """Move the watermark of the criteria `key` (now `previous`) forward to the newest event
    of `frames`."""
    times = frames.table("events")["activity_time"]
    newest = pc.max(times).as_py() if len(times) else None
    if newest is None:
        return
    if previous is None or parse_time(previous) < newest:
        box.write_watermark(format_time(newest), key)


def _leaves_no_gap(box: Spool, run: Run, previous: str | None) -> bool:
    """Whether a finished plain run may move the watermark of its criteria (now `previous`):
    its first window starts at or before the watermark (or has no lower bound), or there is
    no watermark yet. Otherwise the events between were not fetched, and the watermark stays
    (logged)."""
    first = run.checkpoint.windows[0].since if run.checkpoint.windows else None
    if previous is None or first is None or parse_time(first) <= parse_time(previous):
        return True
    logger.info(
        "the watermark in %s stays at %s: this fetch started later, at %s, so the events "
        "between were not fetched",
        box.root,
        previous,
        first,
    )
    return False


def _newest_held(out: Path) -> datetime | None:
    """The newest event time in the dataset at `out` (a store: from its Delta log and file
    footers; a plain dataset: its manifest), or None when there is none."""
    from provlytics.dataset_files import is_store
    from provlytics.datasets import is_dataset  # deltalake only for an incremental run
    from provlytics.parquet import read_manifest
    from provlytics.store.read import summary

    if not is_dataset(out):
        return None
    facts = summary(out) if is_store(out) else read_manifest(out)
    end = (facts.get("time_range") or {}).get("end")
    return parse_time(end) if end else None


def _starting(begin: IncrementalStart, box: Spool, out: str | Path | None, overlap: str) -> str:
    """One sentence: where an incremental run starts, and why."""
    at = format_time(begin.at) if begin.at is not None else None
    mark = format_time(begin.mark) if begin.mark is not None else None
    held = f"in {out}" if out is not None else "held (no out=)"
    if begin.basis == "watermark":
        return f"Incremental: from {at} (the watermark in {box.root}, {mark}, minus {overlap})"
    if begin.basis == "held":
        return (
            f"Incremental: from {at}, the newest event already {held} ({mark}) minus "
            f"{overlap}: {box.root} has no watermark for this filter yet"
        )
    if begin.basis == "since":
        why = f"later than {mark} minus {overlap}" if mark else "no watermark, no event yet"
        return f"Incremental: from {at}, as since= (--since) says ({why})"
    return (
        f"Incremental: everything Graph keeps (7 days; 30 with Entra ID P1/P2): "
        f"{box.root} has no watermark and no event is {held} yet; "
        "give since= (--since) to fetch less"
    )
