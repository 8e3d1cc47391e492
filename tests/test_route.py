"""Every calling path takes the one route: source page -> normalize -> route.page_tables.

Each test spies on the pipeline's one page->tables function (`route.page_tables`), the
normalizer's one entry (`normalize.pages.normalize`) and the fast decoder's one entry
(`graph_v1.tables_from_json`), then drives one public calling path (files, fetch, spool
replay, on-demand, jobs) against local files or the local fake Graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import payloads as p
import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, make_records
from payloads import AWS_SERVICE_PRINCIPAL_ID, job_list, job_quarantined_aws, on_demand_skipped

import provlytics as pv
from provlytics.errors import GraphError
from provlytics.graph import GraphClient, StaticToken
from provlytics.normalize import graph_v1
from provlytics.normalize import pages as normalizer
from provlytics.operations import combine_frames, provision_on_demand
from provlytics.origin import Container, Place
from provlytics.pipeline import route
from provlytics.pipeline.fetch import fetch_logs
from provlytics.pipeline.jobs import job_status, watch_job
from provlytics.pipeline.on_demand import read_on_demand_result

SP = AWS_SERVICE_PRINCIPAL_ID
JOBS = f"/beta/servicePrincipals/{SP}/synchronization/jobs"
JOB_ID = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"
OBSERVED = datetime(2026, 11, 30, 12, tzinfo=UTC)
ON_DEMAND = "/v1.0/servicePrincipals/sp-1/synchronization/jobs/job-1/provisionOnDemand"


class Trace(NamedTuple):
    """What each spied entry saw, in call order."""

    routed: list[tuple[Place | None, Container]]  # route.page_tables: the page's place, container
    normalized: list[tuple[Place | None, Container]]  # normalize(): the same, as it got them
    fast: list[int | None]  # tables_from_json: records it read, None when it declined


@pytest.fixture
def trace(monkeypatch: pytest.MonkeyPatch) -> Trace:
    seen = Trace([], [], [])
    page_tables, normalize, tables_from_json = (
        route.page_tables,
        normalizer.normalize,
        graph_v1.tables_from_json,
    )

    def routed(page: Any, **options: Any) -> Any:
        seen.routed.append((page.origin.place, page.container))
        return page_tables(page, **options)

    def normalized(page: Any, **options: Any) -> Any:
        seen.normalized.append((page.origin.place, page.container))
        return normalize(page, **options)

    def fast(data: bytes | str) -> Any:
        tables = tables_from_json(data)
        seen.fast.append(None if tables is None else tables.records)
        return tables

    monkeypatch.setattr(route, "page_tables", routed)
    monkeypatch.setattr(normalizer, "normalize", normalized)
    monkeypatch.setattr(graph_v1, "tables_from_json", fast)
    return seen


def _same(trace: Trace) -> None:
    assert trace.routed == trace.normalized  # every routed page went to the one entry


# --- files ---------------------------------------------------------------------------------


def test_a_file_load_takes_the_route_and_a_graph_page_the_fast_path(trace, tmp_path):
    path = p.write_json(tmp_path / "page.json", p.graph_page(*make_records(3)))
    frames = pv.load(path, progress=False, workers=1)
    assert trace.routed == [(Place.FILE, Container.GRAPH_PAGE)]
    _same(trace)
    assert trace.fast == [3]
    assert list(frames.events["event_id"]) == ["rec-0000", "rec-0001", "rec-0002"]


def test_a_store_load_takes_the_route_too(trace, tmp_path):
    p.write_lines(tmp_path / "in" / "logs.ndjson", make_records(2))
    manifest = pv.load_to_parquet(tmp_path / "in", tmp_path / "store", progress=False)
    assert trace.routed == [(Place.FILE, Container.JSON_LINES)]
    _same(trace)
    assert trace.fast == [2]  # the lines, joined as one array
    assert manifest["records_read"] == 2


def test_a_portal_array_declines_the_fast_path_and_takes_the_general_one(trace, tmp_path):
    path = p.write_json(tmp_path / "portal.json", [p.beta_legacy_box()])
    frames = pv.load(path, progress=False, workers=1)
    assert trace.routed == [(Place.FILE, Container.JSON_ARRAY)]
    assert trace.fast == [None]
    assert list(frames.events["dialect"]) == ["portal"]


# --- fetch and spool replay ----------------------------------------------------------------


def test_a_fetch_takes_the_route_and_live_pages_the_fast_path(trace, client: GraphClient):
    frames = fetch_logs(client, top=2, progress=False)
    live = (Place.GRAPH, Container.GRAPH_PAGE)
    assert trace.routed == [live, live, live]
    _same(trace)
    assert trace.fast == [2, 2, 1]
    assert list(frames.events["event_id"]) == [f"rec-{i:04d}" for i in range(5)]


def test_a_spool_replay_takes_the_route_and_the_fast_path(
    trace, graph: FakeGraph, graph_url: str, clock: FakeClock, tmp_path: Path
):
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock, "max_attempts": 1}
    graph.fail("500", at=2)  # the second page fails: the first stays in the spool
    with GraphClient(StaticToken(TOKEN), **options) as client, pytest.raises(GraphError):
        fetch_logs(client, top=2, spool=tmp_path / "spool", progress=False)
    del trace.routed[:], trace.normalized[:], trace.fast[:]
    with GraphClient(StaticToken(TOKEN), **options) as client:
        frames = fetch_logs(client, top=2, spool=tmp_path / "spool", progress=False)
    replayed, live = (Place.SPOOL, Container.GRAPH_PAGE), (Place.GRAPH, Container.GRAPH_PAGE)
    assert trace.routed == [replayed, live, live]
    _same(trace)
    assert trace.fast == [2, 2, 1]
    assert list(frames.events["event_id"]) == [f"rec-{i:04d}" for i in range(5)]


# --- on demand -----------------------------------------------------------------------------


def test_a_saved_on_demand_response_takes_the_route(trace, tmp_path):
    path = p.write_json(tmp_path / "response.json", on_demand_skipped())
    result = read_on_demand_result(path)
    assert trace.routed == [(Place.ON_DEMAND, Container.ON_DEMAND_RESPONSE)]
    _same(trace)
    assert trace.fast == []  # parsed records: nothing for the fast path
    assert (result.result, len(result.frames.events)) == ("Skipped", 1)


def test_a_live_on_demand_call_takes_the_route_and_results_combine_deduplicated(
    trace, graph: FakeGraph, client: GraphClient
):
    graph.route("POST", ON_DEMAND, json=on_demand_skipped())
    first = provision_on_demand(client, "sp-1", "job-1", "rule-1", ["user-1"])
    again = provision_on_demand(client, "sp-1", "job-1", "rule-1", ["user-1"])
    assert trace.routed == [(Place.ON_DEMAND, Container.ON_DEMAND_RESPONSE)] * 2
    _same(trace)
    combined = combine_frames([first, again])
    assert len(combined.events) == 1  # the same event twice: kept once, like any load
    assert len(combined.steps) == len(first.frames.steps)
    assert combined.events.equals(first.frames.events)


# --- jobs ----------------------------------------------------------------------------------


@pytest.fixture
def beta(graph: FakeGraph, graph_url: str, clock: FakeClock) -> Iterator[GraphClient]:
    with GraphClient(
        StaticToken(TOKEN), base_url=graph_url, version="beta", sleep=clock.sleep, clock=clock
    ) as client:
        yield client


def test_a_job_snapshot_takes_the_route(trace, graph: FakeGraph, beta: GraphClient):
    graph.route("GET", JOBS, json=job_list(job_quarantined_aws()))
    frame = job_status(beta, SP, now=lambda: OBSERVED)
    assert trace.routed == [(Place.JOBS, Container.JOB_LIST)]
    _same(trace)
    assert list(frame["status_code"]) == ["Quarantine"]
    assert list(frame["observed_time"]) == [OBSERVED]


def test_watching_a_job_takes_the_route(trace, graph: FakeGraph, beta: GraphClient):
    graph.route("GET", f"{JOBS}/{JOB_ID}", json=job_quarantined_aws())
    frame = watch_job(beta, SP, JOB_ID, now=lambda: OBSERVED, progress=False)
    assert trace.routed == [(Place.JOBS, Container.JOB_LIST)]
    _same(trace)
    assert list(frame["job_id"]) == [JOB_ID]


def test_a_saved_job_list_takes_the_route(trace, tmp_path):
    path = p.write_json(tmp_path / "jobs.json", job_list(job_quarantined_aws()))
    frames = pv.load(path, progress=False, workers=1)
    assert trace.routed == [(Place.FILE, Container.GRAPH_PAGE)]
    _same(trace)
    assert trace.fast == [None]  # jobs are not log records: the fast path declines
    assert list(frames.job_status["service_principal_id"]) == [SP]
    assert list(frames.job_status["status_code"]) == ["Quarantine"]


def test_combining_a_result_made_by_hand_names_what_is_missing():
    made = pv.OnDemandResult("Success", None, None, pv.ProvisioningFrames())
    with pytest.raises(pv.ConfigError, match="an on-demand result without its page"):
        combine_frames([made])
