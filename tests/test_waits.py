"""A cap on the seconds waited in total, and waits shown in the progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakegraph import TOKEN, FakeClock, FakeGraph, make_records
from pytest_httpserver import HTTPServer

from provlytics.cli.fetch import fetch_command
from provlytics.errors import ConfigError, ThrottledError
from provlytics.graph import GraphClient
from provlytics.graph.waits import WaitBudget
from provlytics.pipeline import fetch as graph_logs
from provlytics.pipeline.fetch import fetch_logs

LIST = "/v1.0/auditLogs/provisioning"


def test_max_wait_stops_before_the_wait_that_would_exceed_it(
    client: GraphClient, graph: FakeGraph, clock: FakeClock, httpserver: HTTPServer
) -> None:
    graph.fail("429", "429", "429")  # Retry-After 1.5 each
    with (
        client.http.waiting(max_wait=2.0) as budget,
        pytest.raises(ThrottledError, match=r"waiting 1.5 s more \(HTTP 429\) would exceed "),
    ):
        client.get_json("auditLogs/provisioning")
    assert clock.sleeps == [1.5]
    assert budget is not None and budget.waited == 1.5
    assert len(httpserver.log) == 2


def test_the_budget_ends_with_its_block(client: GraphClient, graph: FakeGraph, clock) -> None:
    with client.http.waiting(max_wait=0):
        pass
    graph.fail("429")
    assert client.get_json("auditLogs/provisioning")["value"]
    assert clock.sleeps == [1.5]


def test_fetch_logs_max_wait_under_a_throttling_server(
    client: GraphClient, graph: FakeGraph, clock: FakeClock, httpserver: HTTPServer, tmp_path
) -> None:
    graph.records = make_records(8)  # one per page: five requests fit the limit, not eight
    graph.limit(5, 10.0)
    with pytest.raises(ThrottledError, match="max_wait=5 s"):
        fetch_logs(client, top=1, max_wait=5, spool=tmp_path / "spool", progress=False)
    assert len(httpserver.log) == 5  # the sixth would wait ~10 s: refused before waiting
    assert graph.throttled == 0
    assert sum(clock.sleeps) == 0
    frames = fetch_logs(client, top=1, spool=tmp_path / "spool", progress=False)
    assert len(frames.events) == 8
    assert len(httpserver.log) == 8  # resumed at the sixth page
    assert sum(clock.sleeps) > 10


class RecordingBar:
    """Stands in for the tqdm bar; records the postfixes it is given."""

    def __init__(self) -> None:
        self.postfixes: list[str] = []

    def __enter__(self) -> RecordingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, count: int) -> None:
        return None

    def set_postfix(self, **values: Any) -> None:
        return None

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfixes.append(text)


def test_waits_show_in_the_progress_bar(client: GraphClient, graph: FakeGraph, monkeypatch) -> None:
    bar = RecordingBar()
    monkeypatch.setattr(graph_logs, "progress_bar", lambda *a, **k: bar)
    graph.fail("503", at=2)
    fetch_logs(client, top=2)
    assert bar.postfixes == ["waiting 2.0s (HTTP 503)"]


def test_max_wait_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="max_wait"):
        WaitBudget(-1)


def test_cli_max_wait(graph: FakeGraph, graph_url: str, httpserver: HTTPServer, tmp_path) -> None:
    env = {"PROVLYTICS_TOKEN": TOKEN, "PROVLYTICS_GRAPH_URL": graph_url}
    graph.fail("429")
    args = ["--max-wait", "1", "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(fetch_command, args, env=env)
    assert result.exit_code == 1
    assert "MaxWaitExceeded" in result.output and "max_wait=1 s" in result.output
    assert len(httpserver.log) == 1
    assert not Path(tmp_path / "r" / "events").exists()
