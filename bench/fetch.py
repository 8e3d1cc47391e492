"""Benchmark: fetching provisioning logs under the reports limit (5 requests / 10 s).

    python -m bench.fetch [--pages 26] [--top 200] [--latency 0.1]
    python -m bench.fetch --ranges [--top 500]

Two local fake Graph servers (in process, real clock) each enforce 5 requests per sliding
10 s, answer 429 with a fractional Retry-After beyond that, and take `latency` per request.
On one, `fetch_logs` pages through `pages` pages of `top` records (proactive client-side
limiting); on the other, a naive loop follows nextLink and sleeps Retry-After on 429. Both run
at the same time (separate servers, separate limits), so the whole run takes about one fetch.

Reported: records/s as a fraction of the sustained ceiling (top x 0.5 pages/s; a cold start
gets 5 requests at once, so a short run can exceed 1), the fraction of the best possible
schedule for that many pages from a cold start, and the 429s each client received.

`--ranges` measures what a range costs instead: `fetch_logs(since="30d")` against a local
server that applies the `$filter` time bounds, on a sparse month (20 events) and a dense
3 days (2,000 events a day), counting the requests, the pages the data fills
(ceil(records / top)) and what one-day windows would have cost (a request per day, more for
days holding more than a page). Waits run on a virtual clock: it counts, it does not time.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from provlytics.graph import GraphClient, StaticToken
from provlytics.pipeline.fetch import fetch_logs
from provlytics.synthetic import generate_records

TOKEN = "bench-token"
LIMIT, PERIOD = 5, 10.0
LIST_PATH = "/v1.0/auditLogs/provisioning"


class LimitedGraph:
    """A minimal Graph list endpoint with a sliding-window limit and fixed latency."""

    def __init__(self, records: list[dict[str, Any]], latency: float) -> None:
        self.records = records
        self.latency = latency
        self.throttled = 0
        self.accepted = 0
        self._window: deque[float] = deque()
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        wait = self._admit(time.monotonic())  # counted on arrival, as a limiter would
        time.sleep(self.latency)
        if wait is not None:
            body = {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}
            headers = {"Retry-After": f"{wait:.3f}"}
            return Response(json.dumps(body), 429, headers, content_type="application/json")
        top = int(request.args.get("$top", "100"))
        offset = int(request.args.get("$skiptoken", "st-0").removeprefix("st-"))
        body = {"value": self.records[offset : offset + top]}
        if offset + top < len(self.records):
            query = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            query["$skiptoken"] = f"st-{offset + top}"
            body["@odata.nextLink"] = f"{request.host_url}{LIST_PATH[1:]}?{urlencode(query)}"
        return Response(json.dumps(body), 200, content_type="application/json")

    def _admit(self, now: float) -> float | None:
        with self._lock:
            while self._window and self._window[0] <= now - PERIOD:
                self._window.popleft()
            if len(self._window) < LIMIT:
                self._window.append(now)
                self.accepted += 1
                return None
            self.throttled += 1
            return self._window[0] + PERIOD - now


def serve(records: list[dict[str, Any]], latency: float) -> tuple[HTTPServer, LimitedGraph]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    fake = LimitedGraph(records, latency)
    server.expect_request(LIST_PATH).respond_with_handler(fake)
    server.start()
    return server, fake


def run_provlytics(url: str, top: int, result: dict[str, Any]) -> None:
    with (
        tempfile.TemporaryDirectory() as spool,
        GraphClient(StaticToken(TOKEN), base_url=url) as client,
    ):
        started = time.monotonic()
        frames = fetch_logs(client, top=top, spool=Path(spool), progress=False)
        result.update(seconds=time.monotonic() - started, records=frames.records_read)


def run_naive(url: str, top: int, result: dict[str, Any]) -> None:
    """What most scripts do: follow nextLink, on 429 sleep Retry-After and try again."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    next_url: str | None = f"{url}{LIST_PATH}?$top={top}"
    records = 0
    started = time.monotonic()
    while next_url:
        response = session.get(next_url, headers=headers, timeout=60)
        if response.status_code == 429:
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        page = response.json()
        records += len(page["value"])
        next_url = page.get("@odata.nextLink")
    result.update(seconds=time.monotonic() - started, records=records)
    session.close()


class RangeGraph:
    """A Graph list endpoint that applies the time bounds of `$filter` and counts requests."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.requests = 0

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        text = request.args.get("$filter") or ""
        gt = re.search(r"activityDateTime gt (\S+)", text)
        lt = re.search(r"activityDateTime lt (\S+)", text)
        chosen = [
            r
            for r in self.records
            if (gt is None or r["activityDateTime"] > gt.group(1))
            and (lt is None or r["activityDateTime"] < lt.group(1))
        ]
        top = int(request.args.get("$top", "100"))
        offset = int(request.args.get("$skiptoken", "st-0").removeprefix("st-"))
        body: dict[str, Any] = {"value": chosen[offset : offset + top]}
        if offset + top < len(chosen):
            query = {k: v for k, v in request.args.items() if k != "$skiptoken"}
            query["$skiptoken"] = f"st-{offset + top}"
            body["@odata.nextLink"] = f"{request.host_url}{LIST_PATH[1:]}?{urlencode(query)}"
        return Response(json.dumps(body), 200, content_type="application/json")


class VirtualClock:
    """A monotonic clock whose sleep only advances it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def spread_records(now: datetime, days: int, count: int) -> list[dict[str, Any]]:
    """`count` minimal v1.0 records evenly spread over the `days` days before `now`."""
    step = timedelta(days=days) / count
    start = now - timedelta(days=days) + step / 2
    return [
        {
            "id": f"evt-{i:06d}",
            "activityDateTime": (start + i * step).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "jobId": "scim.0123456789abcdef0123456789abcdef.job-1",
            "provisioningAction": "create",
            "provisioningStatusInfo": {"status": "success", "errorInformation": None},
        }
        for i in range(count)
    ]


def daily_window_cost(records: list[dict[str, Any]], now: datetime, days: int, top: int) -> int:
    """Requests one-day windows take: one per day, plus one per further page of a day."""
    counts = [0] * days
    start = now - timedelta(days=days)
    for record in records:
        when = datetime.strptime(record["activityDateTime"], "%Y-%m-%dT%H:%M:%SZ")
        counts[min(days - 1, (when.replace(tzinfo=UTC) - start).days)] += 1
    return sum(max(1, math.ceil(count / top)) for count in counts)


def run_ranges(top: int) -> None:
    """Print requests per page of data for a sparse and a dense `since=` range."""
    now = datetime(2026, 11, 30, tzinfo=UTC)
    cases = {"sparse 30 days": (30, 20), "dense 3 days": (3, 6000)}
    print(f"requests per page of data (top {top}), fetch_logs(since=...) from a cold start:")
    for name, (days, count) in cases.items():
        records = spread_records(now, days, count)
        fake = RangeGraph(records)
        server = HTTPServer(host="127.0.0.1", port=0)
        server.expect_request(LIST_PATH).respond_with_handler(fake)
        server.start()
        clock = VirtualClock()
        url = server.url_for("/").rstrip("/")
        with GraphClient(StaticToken(TOKEN), base_url=url, clock=clock, sleep=clock.sleep) as c:
            frames = fetch_logs(c, since=f"{days}d", top=top, now=now, progress=False)
        server.stop()
        pages = max(1, math.ceil(len(records) / top))
        daily = daily_window_cost(records, now, days, top)
        print(
            f"{name:15s} {frames.records_read:5d} records = {pages:3d} page(s) of data: "
            f"{fake.requests:3d} requests ({fake.requests / pages:.2f} per page); "
            f"one-day windows: {daily} requests ({daily / pages:.2f} per page)"
        )


def best_seconds(pages: int, latency: float) -> float:
    """The least time `pages` requests can take from a cold start under the limit."""
    return ((pages - 1) // LIMIT) * PERIOD + latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=26)
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--ranges", action="store_true", help="requests per page of a range")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.ranges:
        run_ranges(500 if args.top == parser.get_default("top") else args.top)
        return
    records = list(generate_records(args.pages * args.top, seed=1))
    runners = {"provlytics fetch_logs": run_provlytics, "naive nextLink loop": run_naive}
    servers, results, threads = {}, {}, []
    for name, runner in runners.items():
        server, fake = serve(records, args.latency)
        servers[name], results[name] = (server, fake), {}
        url = server.url_for("/").rstrip("/")
        threads.append(threading.Thread(target=runner, args=(url, args.top, results[name])))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ceiling = args.top * LIMIT / PERIOD  # top x 0.5 pages/s
    best = best_seconds(args.pages, args.latency)
    print(
        f"{args.pages} pages x {args.top} records, limit {LIMIT}/{PERIOD:.0f}s, "
        f"latency {args.latency * 1000:.0f} ms; ceiling {ceiling:.0f} records/s, "
        f"best schedule {best:.1f} s"
    )
    for name, (server, fake) in servers.items():
        result = results[name]
        rate = result["records"] / result["seconds"]
        print(
            f"{name:24s} {result['records']:6d} records in {result['seconds']:6.1f} s = "
            f"{rate:6.1f} rec/s = {rate / ceiling:.2f} of ceiling, "
            f"{best / result['seconds']:.2f} of best schedule; "
            f"429s: {fake.throttled}, requests accepted: {fake.accepted}"
        )
        server.stop()


if __name__ == "__main__":
    main()
