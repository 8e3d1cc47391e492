"""The token goes only to the configured Graph host, whatever a page, a redirect or a spool says.

Two real servers: the fake Graph (`localhost:<port>`) and an "evil" one on 127.0.0.1 that
answers anything and records what arrives. Each case asserts on the evil server's log: it must
never receive a request (so never the `Authorization` header).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, json_response, make_records
from pytest_httpserver import HTTPServer
from werkzeug import Response

from provlytics.errors import GraphError, UnsafeRedirectError
from provlytics.graph import GraphClient, StaticToken
from provlytics.graph.session import GraphSession
from provlytics.pipeline.fetch import fetch_logs

LIST = "/v1.0/auditLogs/provisioning"


@pytest.fixture
def evil() -> Iterator[HTTPServer]:
    """Another host on the loopback range that would happily take a token."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/", method="GET").respond_with_json({"value": []})
    server.no_handler_status_code = 200
    server.start()
    yield server
    server.clear()
    server.stop()


def tricks(graph_host: str, evil_host: str) -> list[str]:
    """Links that a lenient parser reads as the Graph host while the transport goes elsewhere,
    or that are ambiguous between parsers."""
    return [
        f"http://{evil_host}\\@{graph_host}{LIST}",  # urlsplit: graph; urllib3: evil
        f"http://{evil_host}\\{graph_host}{LIST}",
        f"http://{graph_host}@{evil_host}{LIST}",  # userinfo
        f"http://{graph_host}%2F@{evil_host}{LIST}",
        f"http://{graph_host}%40{evil_host}{LIST}",
        f"http://user@{graph_host}{LIST}",  # userinfo, even on the right host
        f"http://{evil_host} @{graph_host}{LIST}",
        f"http://{graph_host}\t{LIST}",
        f"http://{graph_host}\n.evil{LIST}",
        f"http://{graph_host}\u200b{LIST}",
        f"http://{evil_host}{LIST}",
        f"https://{graph_host}{LIST}",  # scheme change
        "http://loc\u0430lhost:{port}" + LIST,  # Cyrillic "а": another host after IDNA
    ]


def hosts(graph_url: str, evil: HTTPServer) -> tuple[str, str]:
    return graph_url.split("://", 1)[1], f"127.0.0.1:{evil.port}"


@pytest.fixture
def session(graph: FakeGraph, graph_url: str, clock: FakeClock) -> Iterator[GraphSession]:
    http = GraphSession(StaticToken(TOKEN), base_url=graph_url, sleep=clock.sleep, clock=clock)
    yield http
    http.close()


def test_every_trick_is_refused_before_any_request(
    session: GraphSession, graph_url: str, evil: HTTPServer, httpserver: HTTPServer
) -> None:
    graph_host, evil_host = hosts(graph_url, evil)
    for link in tricks(graph_host, evil_host):
        link = link.replace("{port}", str(httpserver.port))
        with pytest.raises(UnsafeRedirectError, match="refusing") as caught:
            session.send("GET", link)
        assert TOKEN not in str(caught.value)
    assert evil.log == []
    assert httpserver.log == []


def test_the_configured_host_in_other_spellings_is_accepted(
    session: GraphSession, graph_url: str, httpserver: HTTPServer
) -> None:
    port = httpserver.port
    for link in (f"http://LOCALHOST:{port}{LIST}", f"HTTP://localhost:{port}{LIST}?$top=2"):
        assert session.send("GET", link).status_code == 200
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("index", range(13))
def test_a_tricky_next_link_in_a_page_gets_no_request(
    graph: FakeGraph, graph_url: str, evil: HTTPServer, client: GraphClient, httpserver, index
) -> None:
    graph_host, evil_host = hosts(graph_url, evil)
    link = tricks(graph_host, evil_host)[index].replace("{port}", str(httpserver.port))
    graph.fail(json_response({"value": [], "@odata.nextLink": link}), at=1)
    pages = client.iter_pages("auditLogs/provisioning")
    assert next(pages).records == []
    with pytest.raises(UnsafeRedirectError):
        next(pages)
    assert evil.log == []
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(
    session: GraphSession, graph: FakeGraph, graph_url: str, evil: HTTPServer, status: int
) -> None:
    graph.fail(Response(status=status, headers={"Location": evil.url_for("/")}))
    with pytest.raises(GraphError) as caught:
        session.send("GET", graph_url + LIST)
    assert caught.value.status == status
    assert evil.log == []


def test_a_planted_checkpoint_link_is_judged_on_resume(
    httpserver: HTTPServer, graph_url: str, evil: HTTPServer, clock: FakeClock, tmp_path: Path
) -> None:
    FakeGraph(make_records(6), page_size=2, clock=clock).install(httpserver)
    spool = tmp_path / "spool"
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock, "max_attempts": 1}
    with GraphClient(StaticToken(TOKEN), **options) as client:
        fetch_logs(client, spool=spool, top=2, progress=False)
    checkpoint_path = spool / "checkpoint.json"
    checkpoint = json.loads(checkpoint_path.read_text())
    graph_host, evil_host = hosts(graph_url, evil)
    for window in checkpoint["windows"]:
        window["done"] = False
        window["next_link"] = f"http://{evil_host}\\@{graph_host}{LIST}?$skiptoken=st-2"
    checkpoint["finished"] = False
    checkpoint_path.write_text(json.dumps(checkpoint))
    httpserver.clear_log()
    with GraphClient(StaticToken(TOKEN), **options) as client, pytest.raises(UnsafeRedirectError):
        fetch_logs(client, spool=spool, top=2, progress=False)
    assert evil.log == []
    assert httpserver.log == []
