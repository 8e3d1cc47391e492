"""A nextLink loop and a page cap stop paging with a GraphError naming the page."""

from __future__ import annotations

import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, json_response
from pytest_httpserver import HTTPServer

from provlytics.errors import ConfigError, GraphError
from provlytics.graph import GraphClient, StaticToken
from provlytics.pipeline.fetch import fetch_logs

LIST = "/v1.0/auditLogs/provisioning"


def test_a_self_referencing_next_link_stops_after_one_request(
    client: GraphClient, graph: FakeGraph, graph_url: str, httpserver: HTTPServer
) -> None:
    link = f"{graph_url}{LIST}?$top=2"
    graph.fail(json_response({"value": [{"id": "a"}], "@odata.nextLink": link}))
    pages = client.iter_pages("auditLogs/provisioning", params={"$top": 2})
    assert next(pages).records == [{"id": "a"}]
    with pytest.raises(GraphError, match="page 1 repeats the link requested for page 1"):
        next(pages)
    assert len(httpserver.log) == 1


def test_a_loop_back_to_an_earlier_page_is_refused(
    client: GraphClient, graph: FakeGraph, graph_url: str, httpserver: HTTPServer
) -> None:
    # pages 1 and 2 are the fake's own; page 3 links back to page 2 (skiptoken st-2)
    back = f"{graph_url}{LIST}?%24top=2&%24skiptoken=st-2"
    graph.fail(json_response({"value": [], "@odata.nextLink": back}), at=3)
    with pytest.raises(GraphError, match="page 3 repeats the link requested for page 2") as caught:
        list(client.iter_pages("auditLogs/provisioning", params={"$top": 2}))
    assert caught.value.code == "PagingLoop"
    assert "st-2" not in str(caught.value)
    assert [r.args.get("$skiptoken") for r, _ in httpserver.log] == [None, "st-2", "st-4"]


def test_a_loop_in_fetch_logs_names_the_page(client, graph, graph_url, httpserver) -> None:
    itself = f"{graph_url}{LIST}?%24top=2&%24skiptoken=st-2"  # page 2's own URL
    graph.fail(json_response({"value": [], "@odata.nextLink": itself}), at=2)
    with pytest.raises(GraphError, match="page 2 repeats the link requested for page 2"):
        fetch_logs(client, top=2, progress=False)
    assert len(httpserver.log) == 2


def test_max_pages_caps_one_paging_run(client: GraphClient, httpserver: HTTPServer) -> None:
    pages = client.iter_pages("auditLogs/provisioning", max_pages=2)
    assert [len(p.records) for p in (next(pages), next(pages))] == [2, 2]
    with pytest.raises(GraphError, match=r"page 3 would exceed max_pages=2") as caught:
        next(pages)
    assert caught.value.code == "PageLimitExceeded"
    assert len(httpserver.log) == 2


def test_the_clients_max_pages_applies_to_fetch_logs(
    graph: FakeGraph, graph_url: str, clock: FakeClock, httpserver: HTTPServer
) -> None:
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock}
    with GraphClient(StaticToken(TOKEN), max_pages=1, **options) as capped:
        with pytest.raises(GraphError, match="max_pages=1"):
            fetch_logs(capped, top=2, progress=False)
        assert len(httpserver.log) == 1
        assert len(list(capped.iter_pages("auditLogs/provisioning", max_pages=3))) == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_max_pages_must_be_positive(bad: object) -> None:
    with pytest.raises(ConfigError, match="max_pages"):
        GraphClient(StaticToken(TOKEN), max_pages=bad)  # type: ignore[arg-type]
