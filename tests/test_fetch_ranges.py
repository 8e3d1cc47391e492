"""Fetch ranges that cost what they contain: windows widen while they come back small."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakegraph import JOB_ID, TOKEN, FakeClock, FakeGraph, record
from pytest_httpserver import HTTPServer

from provlytics.errors import GraphError, InputError
from provlytics.graph import GraphClient, StaticToken
from provlytics.pipeline.fetch import fetch_logs
from provlytics.sources.windows import next_span, plan_next, split_window, start_plan
from provlytics.spool import Checkpoint, Spool, WindowPlan

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
SPARSE = [  # six events over a quiet month
    "2026-11-01T08:00:00Z",
    "2026-11-02T09:00:00Z",
    "2026-11-05T10:00:00Z",
    "2026-11-06T11:00:00Z",
    "2026-11-12T12:00:00Z",
    "2026-11-29T13:00:00Z",
]


def between(gt: str, lt: str | None = None) -> str:
    text = f"activityDateTime gt {gt}"
    return f"{text} and activityDateTime lt {lt}" if lt else text


SPARSE_WINDOWS = [  # 1, 2, 4, 8 days, then open up to now
    between("2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
    between("2026-11-01T11:59:59Z", "2026-11-03T12:00:00Z"),
    between("2026-11-03T11:59:59Z", "2026-11-07T12:00:00Z"),
    between("2026-11-07T11:59:59Z", "2026-11-15T12:00:00Z"),
    between("2026-11-15T11:59:59Z"),
]


@pytest.fixture
def graph(httpserver: HTTPServer, clock: FakeClock) -> FakeGraph:
    """Six events over a month, time filters applied (overrides conftest's `graph`)."""
    fake = FakeGraph([record(i, t) for i, t in enumerate(SPARSE)], page_size=2, clock=clock)
    return fake.install(httpserver)


def sent(httpserver: HTTPServer) -> list[tuple[str | None, str | None]]:
    return [(r.args.get("$filter"), r.args.get("$skiptoken")) for r, _ in httpserver.log]


def fetch(client: GraphClient, spool: Path | None = None, **options: Any):
    options = {"since": "30d", "top": 500, "now": NOW, "progress": False, **options}
    return fetch_logs(client, spool=spool, **options)


def test_a_sparse_month_costs_five_requests(client, graph, httpserver, tmp_path) -> None:
    frames = fetch(client, tmp_path / "spool")
    assert sent(httpserver) == [(window, None) for window in SPARSE_WINDOWS]
    assert sorted(frames.events["event_id"]) == [f"evt-{i:03d}" for i in range(6)]
    checkpoint = json.loads((tmp_path / "spool" / "checkpoint.json").read_text())
    assert checkpoint["version"] == 2
    assert checkpoint["plan"]["cursor"] is None
    assert [w["pages"] for w in checkpoint["windows"]] == [1, 1, 1, 1, 1]


def test_a_window_that_takes_two_pages_keeps_its_length(client, graph, httpserver) -> None:
    frames = fetch(client, top=1)
    assert sent(httpserver) == [
        (SPARSE_WINDOWS[0], None),  # evt-0: one page, so the next window is twice as long
        (SPARSE_WINDOWS[1], None),  # evt-1: one page
        (SPARSE_WINDOWS[2], None),  # evt-2 and evt-3: two pages, the next window stays 4 days
        (SPARSE_WINDOWS[2], "st-1"),
        (between("2026-11-07T11:59:59Z", "2026-11-11T12:00:00Z"), None),
        (between("2026-11-11T11:59:59Z", "2026-11-19T12:00:00Z"), None),
        (between("2026-11-19T11:59:59Z"), None),
    ]
    assert len(frames.events) == 6


def test_an_expired_token_cuts_a_wide_window_at_its_middle(
    client, graph, httpserver, tmp_path
) -> None:
    clean = fetch(client, tmp_path / "clean", top=1)
    httpserver.clear_log()
    graph.fail("expired-skiptoken", at=graph.calls + 4)  # the 4-day window's second page
    frames = fetch(client, tmp_path / "spool", top=1)
    assert sent(httpserver)[2:6] == [
        (SPARSE_WINDOWS[2], None),
        (SPARSE_WINDOWS[2], "st-1"),  # expired
        (between("2026-11-03T11:59:59Z", "2026-11-05T12:00:00Z"), None),  # its first half
        (between("2026-11-05T11:59:59Z", "2026-11-09T12:00:00Z"), None),  # then on from there
    ]
    assert sorted(frames.events["event_id"]) == sorted(clean.events["event_id"])
    assert len(frames.events) == 6
    checkpoint = json.loads((tmp_path / "spool" / "checkpoint.json").read_text())
    assert [w["restarts"] for w in checkpoint["windows"]] == [0] * 6


def test_a_failed_fetch_resumes_with_its_plan(
    graph, graph_url, clock, httpserver, tmp_path
) -> None:
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock, "max_attempts": 1}
    graph.fail("500", at=4)  # the 8-day window
    with GraphClient(StaticToken(TOKEN), **options) as client, pytest.raises(GraphError):
        fetch(client, tmp_path / "spool")
    saved = Spool(tmp_path / "spool").read_checkpoint()
    assert saved is not None and not saved.finished
    assert saved.plan is not None and saved.plan.cursor == "2026-11-15T12:00:00Z"
    httpserver.clear_log()
    with GraphClient(StaticToken(TOKEN), **options) as client:
        frames = fetch(client, tmp_path / "spool")
    assert sent(httpserver) == [(window, None) for window in SPARSE_WINDOWS[3:]]
    assert len(frames.events) == 6


def test_a_version_1_checkpoint_is_resumed_as_it_is(client, graph, httpserver, tmp_path):
    params = {
        "filter": None,
        "since": "30d",
        "until": None,
        "top": 500,
        "version": "v1.0",
        "window": "1d",
        "overlap": None,
        "incremental": False,
    }
    days = [  # the last two of the fixed one-day windows a version 1 fetch had planned
        {"index": 0, "since": "2026-11-28T12:00:00Z", "until": "2026-11-29T12:00:00Z",
         "filter": between("2026-11-28T11:59:59Z", "2026-11-29T12:00:00Z")},
        {"index": 1, "since": "2026-11-29T12:00:00Z", "until": None,
         "filter": between("2026-11-29T11:59:59Z")},
    ]  # fmt: skip
    spool = tmp_path / "spool"
    spool.mkdir()
    old = {"params": params, "windows": days, "version": 1}
    (spool / "checkpoint.json").write_text(json.dumps(old))
    frames = fetch(client, spool)
    assert sent(httpserver) == [(day["filter"], None) for day in days]
    assert list(frames.events["event_id"]) == ["evt-005"]
    assert json.loads((spool / "checkpoint.json").read_text())["version"] == 1


def test_an_unknown_checkpoint_version_says_how_to_go_on(client, graph, httpserver, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "checkpoint.json").write_text(json.dumps({"params": {}, "version": 7}))
    with pytest.raises(InputError, match=r"version 7 .*--no-resume"):
        fetch(client, spool)
    assert httpserver.log == []
    assert len(fetch(client, spool, resume=False).events) == 6


def test_next_span_grows_after_one_page_and_shrinks_when_dense() -> None:
    day = 86400.0
    assert next_span(day, 1, min_span=day) == 2 * day
    assert next_span(day, 0, min_span=day) == 2 * day
    assert next_span(4 * day, 5, min_span=day) == 4 * day
    assert next_span(4 * day, 21, min_span=day) == 2 * day
    assert next_span(day, 50, min_span=day) == day  # never below window=


def test_a_window_of_the_minimum_length_is_not_cut() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    windows, plan = start_plan(start, start + timedelta(days=3), None, span=timedelta(days=1))
    first = plan_next(windows, plan, now=NOW)
    assert first is not None and not split_window(first, plan, now=NOW)
    assert plan == WindowPlan("2026-11-02T00:00:00Z", "2026-11-04T00:00:00Z", 86400.0, 86400.0)


def test_without_a_start_there_is_one_window_and_no_plan() -> None:
    windows, plan = start_plan(None, None, "jobId eq 'j'", span=timedelta(days=1))
    assert plan is None and [w.filter for w in windows] == ["jobId eq 'j'"]
    assert Checkpoint({}, windows, plan=plan).finished is False


def ids_served(client: GraphClient, where: str) -> list[str]:
    pages = client.iter_pages("auditLogs/provisioning", params={"$filter": where})
    return [record["id"] for page in pages for record in page.records]


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        (between("2026-11-05T10:00:00Z", "2026-11-12T12:00:00Z"), [3]),  # strict bounds
        (
            "activityDateTime ge 2026-11-05T10:00:00Z and activityDateTime le 2026-11-12T12:00:00Z",
            [2, 3, 4],
        ),
        ("activityDateTime ge 2026-11-12T12:00:00.000Z", [4, 5]),  # fractions of a second
        ("activityDateTime eq 2026-11-06T11:00:00Z", [3]),
        (
            f"(sourceIdentity/id eq 'u1' or jobId eq '{JOB_ID}') and activityDateTime lt "
            "2026-11-02T09:00:00Z",
            [0],
        ),
        ("provisioningStatusInfo/status eq 'failure'", []),
    ],
)
def test_the_fake_graph_applies_the_filter(client, graph, where, ids) -> None:
    assert ids_served(client, where) == [f"evt-{i:03d}" for i in ids]


@pytest.mark.parametrize(
    "where",
    [
        "activityDateTime gt '2026-11-01T00:00:00Z'",  # a string, not a DateTimeOffset
        "activityDateTime ne 2026-11-01T00:00:00Z",
        "activityDateTime gt 2026-11-01",  # no offset
        "contains(jobId, 'job')",
        "jobId gt 'a'",
        "status eq 'failure'",
        "activityDateTime gt 2026-11-01T00:00:00Z or jobId eq 'j'",  # or outside parentheses
        "(jobId eq 'j'",
    ],
)
def test_the_fake_graph_refuses_a_filter_it_does_not_understand(client, graph, where) -> None:
    with pytest.raises(GraphError) as caught:
        ids_served(client, where)
    assert (caught.value.status, caught.value.code) == (400, "BadRequest")
    assert "Invalid filter clause" in str(caught.value)


def test_a_fetch_gets_only_its_window(client, graph, httpserver) -> None:
    frames = fetch(client, since="2026-11-02T09:00:00Z", until="2026-11-12T12:00:00Z")
    assert list(frames.events["event_id"]) == ["evt-002", "evt-003"]  # bounds are strict
    assert frames.records_read == 2


def test_an_incremental_run_without_a_watermark_starts_at_the_newest_event_in_out(
    client, graph, httpserver, tmp_path
) -> None:
    out, spool = tmp_path / "store", tmp_path / "spool"
    fetch(client, None, until="2026-11-10T00:00:00Z", out=out)  # evt-0 to evt-3, no spool
    httpserver.clear_log()
    said: list[str] = []
    frames = fetch(client, spool, since=None, incremental=True, out=out, on_start=said.append)
    assert said == [
        f"Incremental: from 2026-11-06T10:55:00Z, the newest event already in {out} "
        f"(2026-11-06T11:00:00Z) minus 5m: {spool} has no watermark for this filter yet"
    ]
    assert sent(httpserver)[0] == (between("2026-11-06T10:55:00Z", "2026-11-07T10:55:00Z"), None)
    assert list(frames.events["event_id"]) == ["evt-003", "evt-004", "evt-005"]
    assert Spool(spool).read_watermark() == "2026-11-29T13:00:00Z"


def test_a_later_since_wins_over_the_newest_held_event(client, graph, httpserver, tmp_path):
    out, spool = tmp_path / "store", tmp_path / "spool"
    fetch(client, None, until="2026-11-10T00:00:00Z", out=out)
    said: list[str] = []
    options = {"incremental": True, "out": out, "on_start": said.append}
    frames = fetch(client, spool, since="2026-11-12T00:00:00Z", **options)
    assert said == [
        "Incremental: from 2026-11-12T00:00:00Z, as since= (--since) says "
        "(later than 2026-11-06T11:00:00Z minus 5m)"
    ]
    assert list(frames.events["event_id"]) == ["evt-004", "evt-005"]


SUCCESS = "provisioningStatusInfo/status eq 'success'"  # a watermark's key: the filter


def test_a_plain_fetch_that_completes_advances_the_watermark_of_its_filter(
    client, graph, httpserver, tmp_path
) -> None:
    spool = tmp_path / "spool"
    fetch(client, spool, until="2026-11-10T00:00:00Z", status="success")  # evt-0 to evt-3
    assert Spool(spool).read_watermark(SUCCESS) == "2026-11-06T11:00:00Z"
    assert Spool(spool).read_watermark() is None  # another filter's is its own
    httpserver.clear_log()
    said: list[str] = []
    options = {"since": None, "incremental": True, "on_start": said.append}
    frames = fetch(client, spool, status="success", **options)
    assert said == [
        f"Incremental: from 2026-11-06T10:55:00Z (the watermark in {spool}, "
        "2026-11-06T11:00:00Z, minus 5m)"
    ]
    assert sent(httpserver)[0] == (
        between("2026-11-06T10:55:00Z", "2026-11-07T10:55:00Z") + f" and {SUCCESS}",
        None,
    )
    assert list(frames.events["event_id"]) == ["evt-003", "evt-004", "evt-005"]
    assert Spool(spool).read_watermark(SUCCESS) == "2026-11-29T13:00:00Z"


def test_a_plain_fetch_that_leaves_a_gap_keeps_the_watermark(client, graph, tmp_path) -> None:
    """A watermark says every event up to it was fetched: a plain fetch starting after it
    leaves it; one starting at or before it (or with no lower bound) moves it on."""
    spool = tmp_path / "spool"
    fetch(client, spool, since="2026-11-01T00:00:00Z", until="2026-11-03T00:00:00Z")
    assert Spool(spool).read_watermark() == "2026-11-02T09:00:00Z"
    frames = fetch(client, spool, since="2026-11-10T00:00:00Z")  # 11-02 to 11-10 not fetched
    assert list(frames.events["event_id"]) == ["evt-004", "evt-005"]
    assert Spool(spool).read_watermark() == "2026-11-02T09:00:00Z"
    fetch(client, spool, since="2026-11-02T09:00:00Z", until="2026-11-10T00:00:00Z")
    assert Spool(spool).read_watermark() == "2026-11-06T11:00:00Z"
    fetch(client, spool, since=None, until="2026-11-02T00:00:00Z")  # older: no step back
    assert Spool(spool).read_watermark() == "2026-11-06T11:00:00Z"
    fetch(client, spool, since=None)  # from all Graph keeps
    assert Spool(spool).read_watermark() == "2026-11-29T13:00:00Z"


def test_a_plain_fetch_that_fails_saves_no_watermark(client, graph, tmp_path) -> None:
    spool = tmp_path / "spool"
    graph.fail("truncated", at=3)  # a window or two done, then a page cut short
    with pytest.raises(InputError, match="not valid JSON"):
        fetch(client, spool, since="2026-11-01T00:00:00Z")
    assert Spool(spool).read_watermark() is None


def test_an_incremental_run_into_a_plain_dataset_starts_at_its_newest_event(
    client, graph, httpserver, tmp_path
) -> None:
    snapshot = tmp_path / "snapshot"
    fetch(client, None, until="2026-11-10T00:00:00Z").to_parquet(snapshot)  # plain Parquet
    frames = fetch(client, tmp_path / "spool", since=None, incremental=True, out=snapshot)
    assert list(frames.events["event_id"]) == ["evt-003", "evt-004", "evt-005"]
