"""fetch_logs against the local fake Graph: filters, windows, retries, spool and resume."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, record
from pytest_httpserver import HTTPServer
from werkzeug import Request

from provlytics.datasets import read_parquet
from provlytics.errors import ConfigError, GraphError, UnsafeRedirectError
from provlytics.graph import GraphClient, StaticToken, build_filter
from provlytics.pipeline.fetch import fetch_logs
from provlytics.schema import TABLE_NAMES
from provlytics.sources.graph_logs import is_expired_skiptoken
from provlytics.spool import Spool
from provlytics.tables import ProvisioningFrames

DAY = datetime(2026, 11, 14, tzinfo=UTC)
SINCE, UNTIL = "2026-11-14T00:00:00Z", "2026-11-17T00:00:00Z"
NOW = datetime(2026, 11, 17, 6, tzinfo=UTC)
TIMES = [  # three days, one event exactly on the boundary between the first two windows
    "2026-11-14T06:00:00Z",
    "2026-11-14T12:00:00Z",
    "2026-11-14T18:00:00Z",
    "2026-11-15T00:00:00Z",
    "2026-11-15T09:00:00Z",
    "2026-11-15T10:00:00Z",
    "2026-11-15T23:00:00Z",
    "2026-11-16T01:00:00Z",
    "2026-11-16T02:00:00Z",
    "2026-11-16T23:59:00Z",
]


@pytest.fixture
def graph(httpserver: HTTPServer, clock: FakeClock) -> Iterator[FakeGraph]:
    """Ten events over three days, two per page, time filters applied (overrides conftest)."""
    fake = FakeGraph([record(i, t) for i, t in enumerate(TIMES)], page_size=2, clock=clock)
    fake.install(httpserver)
    yield fake
    httpserver.check_handler_errors()


def received(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log]


def fetch(client: GraphClient, spool: Path | None, **options: Any) -> ProvisioningFrames:
    options = {"since": SINCE, "until": UNTIL, "top": 2, "now": NOW, **options}
    return fetch_logs(client, spool=spool, progress=False, **options)


def between(gt: str, lt: str) -> str:
    return f"activityDateTime gt {gt} and activityDateTime lt {lt}"


def assert_same_tables(left: ProvisioningFrames, right: ProvisioningFrames) -> None:
    for name in TABLE_NAMES:
        assert left.table(name).equals(right.table(name)), name
    assert left.records_read == right.records_read


def request_keys(requests: list[Request]) -> list[tuple[str | None, str | None]]:
    return [(r.args.get("$filter"), r.args.get("$skiptoken")) for r in requests]


def test_one_window_sends_the_exact_filter_top_and_token(client, graph, httpserver) -> None:
    since, until = "2026-11-15T08:00:00Z", "2026-11-15T12:00:00Z"
    graph.expected_filter = build_filter(since=since, until=until, status="success")
    frames = fetch(client, None, since=since, until=until, status="success")
    sent = received(httpserver)
    assert [r.args["$filter"] for r in sent] == [graph.expected_filter]
    assert graph.expected_filter == (
        "activityDateTime gt 2026-11-15T08:00:00Z and activityDateTime lt 2026-11-15T12:00:00Z"
        " and provisioningStatusInfo/status eq 'success'"
    )
    assert [r.args["$top"] for r in sent] == ["2"]
    assert [r.headers["Authorization"] for r in sent] == [f"Bearer {TOKEN}"]
    assert list(frames.events["event_id"]) == ["evt-004", "evt-005"]


def test_windows_page_through_next_links_in_order(client, graph, httpserver, tmp_path) -> None:
    frames = fetch(client, tmp_path / "spool")
    assert sorted(frames.events["event_id"]) == [f"evt-{i:03d}" for i in range(10)]
    first, second, third = (
        between("2026-11-14T00:00:00Z", "2026-11-15T00:00:00Z"),
        between("2026-11-14T23:59:59Z", "2026-11-16T00:00:00Z"),
        between("2026-11-15T23:59:59Z", "2026-11-17T00:00:00Z"),
    )
    assert request_keys(received(httpserver)) == [
        (first, None),
        (first, "st-2"),
        (second, None),
        (second, "st-2"),
        (third, None),
        (third, "st-2"),
    ]
    assert frames.records_read == 10
    assert frames.events["activity_time"].is_monotonic_increasing


def test_429_and_503_are_retried_on_the_fake_clock(client, graph, clock) -> None:
    graph.fail("429", at=2)
    graph.fail("503", at=4)
    frames = fetch(client, None)
    assert 1.5 in clock.sleeps and 2.0 in clock.sleeps
    assert len(frames.events) == 10


def test_expired_skiptoken_restarts_only_that_window(client, graph, httpserver, tmp_path) -> None:
    clean = fetch(client, tmp_path / "clean")
    httpserver.clear_log()
    graph.fail("expired-skiptoken", at=graph.calls + 4)  # window 2, second page
    frames = fetch(client, tmp_path / "spool")
    keys = request_keys(received(httpserver))
    window = [k for k in keys if "gt 2026-11-14T23:59:59Z" in k[0]]
    assert [k[1] for k in window] == [None, "st-2", None, "st-2"]
    assert len(keys) == 8  # 6 pages, the expired request and the window's first page again
    assert_same_tables(frames, clean)
    checkpoint = json.loads((tmp_path / "spool" / "checkpoint.json").read_text())
    assert [w["restarts"] for w in checkpoint["windows"]] == [0, 1, 0]
    assert all(w["done"] and w["next_link"] is None for w in checkpoint["windows"])


def test_expired_skiptoken_restarts_are_bounded(client, graph) -> None:
    for at in (2, 4, 6, 8):  # the second page of window 1, at every try
        graph.fail("expired-skiptoken", at=at)
    with pytest.raises(GraphError) as caught:
        fetch(client, None)
    assert is_expired_skiptoken(caught.value)


def test_a_failed_fetch_resumes_from_the_spool(graph, graph_url, clock, httpserver, tmp_path):
    def new_client() -> GraphClient:
        credential = StaticToken(TOKEN)
        options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock}
        return GraphClient(credential, max_attempts=2, **options)

    with new_client() as client:
        clean = fetch(client, tmp_path / "clean")
    httpserver.clear_log()
    graph.fail("500", "500", at=graph.calls + 4)  # window 2, second page: attempts exhausted
    with new_client() as client, pytest.raises(GraphError):
        fetch(client, tmp_path / "spool")
    first = request_keys(received(httpserver))
    httpserver.clear_log()
    with new_client() as client:
        frames = fetch(client, tmp_path / "spool")
    again = request_keys(received(httpserver))
    fetched_before = set(first[:3])
    assert not fetched_before & set(again)
    assert again[0] == first[3]  # the failed page, from the saved next link
    assert len(again) == 3
    assert_same_tables(frames, clean)
    assert list(frames.events["event_id"]) == list(clean.events["event_id"])


def test_a_finished_spool_is_fetched_afresh(client, graph, httpserver, tmp_path) -> None:
    first = fetch(client, tmp_path / "spool")
    second = fetch(client, tmp_path / "spool")
    assert len(received(httpserver)) == 12
    assert_same_tables(first, second)


def test_resume_with_other_parameters_is_refused(client, graph, tmp_path) -> None:
    graph.fail("500", *["500"] * 5, at=3)
    with pytest.raises(GraphError):
        fetch(client, tmp_path / "spool")
    with pytest.raises(ConfigError, match=r"other parameters \(filter: saved None"):
        fetch(client, tmp_path / "spool", status="failure")
    with pytest.raises(ConfigError, match="top: saved 2, now 3"):
        fetch(client, tmp_path / "spool", top=3)
    frames = fetch(client, tmp_path / "spool", status="failure", resume=False)
    assert len(frames.events) == 0


def test_spool_files_hold_pages_and_no_token(client, graph, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fetch(client, tmp_path / "spool")
    files = sorted(p.relative_to(tmp_path / "spool").as_posix() for p in tmp_path.rglob("*.json"))
    assert files == ["checkpoint.json", "state.json"] + [
        f"window-{w:03d}/page-{n:05d}.json" for w in range(3) for n in (1, 2)
    ]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8")
    page = json.loads((tmp_path / "spool/window-000/page-00001.json").read_text())
    assert [r["id"] for r in page["value"]] == ["evt-000", "evt-001"]
    assert page["@odata.nextLink"].endswith("skiptoken=st-2")
    assert TOKEN not in caplog.text
    assert "page 1: 2 records" in caplog.text


def test_incremental_fetches_newer_events_and_dedups_the_overlap(
    client, graph, httpserver, tmp_path
) -> None:
    spool, out = tmp_path / "spool", tmp_path / "report"
    first = fetch(client, spool, until=None, incremental=True, out=out)
    assert len(first.events) == 10
    assert Spool(spool).read_watermark() == "2026-11-16T23:59:00Z"
    later = ["2026-11-16T23:57:00Z", "2026-11-17T01:00:00Z"]  # one late arrival in the overlap
    graph.records += [record(10 + i, t) for i, t in enumerate(later)]
    httpserver.clear_log()
    second = fetch(client, spool, until=None, incremental=True, out=out)
    assert [r.args["$filter"] for r in received(httpserver)] == [
        "activityDateTime gt 2026-11-16T23:54:00Z"  # the watermark minus five minutes
    ] * 2
    assert list(second.events["event_id"]) == ["evt-010", "evt-009", "evt-011"]
    assert Spool(spool).read_watermark() == "2026-11-17T01:00:00Z"
    merged = read_parquet(out)
    assert sorted(merged.events["event_id"]) == [f"evt-{i:03d}" for i in range(12)]


def test_incremental_needs_a_spool(client) -> None:
    with pytest.raises(ConfigError, match="spool"):
        fetch_logs(client, incremental=True)


def test_a_foreign_next_link_is_refused(client, graph, httpserver, tmp_path) -> None:
    graph.fail("foreign-next", at=1)
    with pytest.raises(UnsafeRedirectError):
        fetch(client, tmp_path / "spool")
    assert len(received(httpserver)) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window": "0d"}, "window='0d' is not a positive duration such as '7d', '12h'"),
        ({"window": "2026-11-14"}, "window='2026-11-14' is not a duration such as '7d'"),
        ({"window": "1M"}, "window='1M' is not read: 'M' is a month to some and a minute to"),
        ({"overlap": "abc"}, "overlap='abc' is not a duration such as '7d'"),
        ({"overlap": "-5m"}, "overlap='-5m' is not a duration of zero or more such as '0s'"),
        ({"overlap": "1y"}, "overlap='1y' is not read: a year has no fixed length; write 365d"),
        ({"top": 0}, "top must be"),
        ({"status": "bad"}, "status must be"),
    ],
)
def test_bad_options_raise_config_error(client, graph, options, message) -> None:
    with pytest.raises(ConfigError) as caught:
        fetch(client, None, **options)
    assert str(caught.value).startswith(message)
    assert graph.calls == 0


@pytest.mark.parametrize("overlap", ["abc", "-5m", "1y"])
def test_a_bad_overlap_is_refused_before_a_request_or_a_checkpoint(
    client, graph, tmp_path, overlap
) -> None:
    spool = tmp_path / "spool"  # fresh: no watermark, so the overlap would not be used yet
    with pytest.raises(ConfigError, match=rf"^overlap='{overlap}' is not"):
        fetch(client, spool, until=None, incremental=True, overlap=overlap)
    assert graph.calls == 0
    assert not (spool / "checkpoint.json").exists()  # a later run has nothing to complain of


def test_an_incremental_run_with_no_overlap_starts_at_the_watermark(
    client, graph, httpserver, tmp_path
) -> None:
    spool = tmp_path / "spool"
    fetch(client, spool, until=None, incremental=True, overlap="0s")
    assert Spool(spool).read_watermark() == "2026-11-16T23:59:00Z"
    httpserver.clear_log()
    fetch(client, spool, until=None, incremental=True, overlap="0s")
    assert {r.args["$filter"] for r in received(httpserver)} == {
        "activityDateTime gt 2026-11-16T23:59:00Z"
    }


def test_proactive_limiting_avoids_429s(client, graph, clock) -> None:
    graph.limit(5, 10.0)
    frames = fetch(client, None)
    assert graph.throttled == 0
    assert len(frames.events) == 10
    assert sum(clock.sleeps) >= 10.25  # the sixth request waits the window plus the arrival margin
