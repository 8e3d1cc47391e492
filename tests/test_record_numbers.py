"""Record numbers in messages count as people count them: the first record of a Graph page,
of a file, of a JSON array is `record 1`; lines and pages count from 1 too."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import payloads as p
import pytest
from fakegraph import TOKEN, FakeClock, FakeGraph, make_records
from pytest_httpserver import HTTPServer

import provlytics as pv
from provlytics.graph import GraphClient, StaticToken
from provlytics.pipeline.fetch import fetch_logs

LIST = "/v1.0/auditLogs/provisioning"


@pytest.mark.parametrize(
    ("bad", "named"),
    [(0, "page 1: record 1"), (2, "page 2: record 1"), (3, "page 2: record 2")],
    ids=["first of page 1", "first of page 2", "second of page 2"],
)
def test_a_graph_record_is_named_by_its_page_and_its_place_in_it(
    httpserver: HTTPServer, graph_url: str, clock: FakeClock, bad: int, named: str
) -> None:
    records = make_records(5)
    del records[bad]["id"]
    FakeGraph(records, page_size=2, clock=clock).install(httpserver)
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock}
    with (
        GraphClient(StaticToken(TOKEN), **options) as client,
        pytest.raises(pv.InputError) as raised,
    ):
        fetch_logs(client, top=2, progress=False)
    assert str(raised.value) == f"{graph_url}{LIST}: {named}: 'id': is missing"
    assert raised.value.origin.record == int(named[-1])  # the number the message shows


def test_the_nth_line_of_a_pt1h_json_is_record_n(tmp_path, caplog):
    lines = [
        {"category": "ProvisioningLogs", "time": "2026-11-16T10:00:00Z", "properties": record}
        for record in (p.v1_success_aws(), p.v1_live_scim_group(), p.v1_success_aws())
    ]
    del lines[2]["properties"]["id"]  # the third line
    path = tmp_path / "PT1H.json"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with pytest.raises(pv.InputError) as raised:
        pv.load(path)
    assert str(raised.value) == f"{path}:3: record 3: 'properties.id': is missing"
    frames = pv.load(path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [f"{path}:3: record 3"]
    with caplog.at_level(logging.WARNING):
        pv.load_to_parquet(path, tmp_path / "out", on_error="collect")
    assert f"rejected {path}:3: record 3: 'properties.id': is missing" in caplog.messages


def test_an_element_of_a_json_array_is_named_by_its_place_counted_from_1(tmp_path):
    third = p.v1_failure_contoso()
    third["activityDateTime"] = "yesterday"
    records = [p.v1_success_aws(), p.v1_live_scim_group(), third]
    path = p.write_json(tmp_path / "portal.json", records)
    with pytest.raises(pv.InputError, match=r"portal\.json: record 3: 'activityDateTime'"):
        pv.load(path)
    frames = pv.load(path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [f"{path}: record 3"]
    assert json.loads(frames.rejects["record"][0])["activityDateTime"] == "yesterday"


def test_the_first_row_of_a_csv_is_record_1_on_line_2(tmp_path):
    rows = "Id,TimeGenerated\n,2026-11-16T10:00:00Z\n"
    path = tmp_path / "logs.csv"
    path.write_text(rows, encoding="utf-8")
    frames = pv.load(path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [f"{path}:2: record 1"]


def test_a_fetched_record_is_named_by_its_window_as_pages_count_again_in_each(
    httpserver: HTTPServer, graph_url: str, clock: FakeClock
) -> None:
    day_one = make_records(3, start=datetime(2026, 11, 16, 10, tzinfo=UTC))
    day_two = make_records(3, start=datetime(2026, 11, 17, 10, tzinfo=UTC))
    del day_two[2]["id"]  # the first record of the second window's page 2
    FakeGraph(day_one + day_two, page_size=2, clock=clock).install(httpserver)
    options = {"base_url": graph_url, "sleep": clock.sleep, "clock": clock}
    with (
        GraphClient(StaticToken(TOKEN), **options) as client,
        pytest.raises(pv.InputError) as raised,
    ):
        fetch_logs(
            client, since="2026-11-16", until="2026-11-18", window="1d", top=2, progress=False
        )
    assert str(raised.value) == (
        f"{graph_url}{LIST} (window 2026-11-17T00:00:00Z to 2026-11-18T00:00:00Z): "
        "page 2: record 1: 'id': is missing"
    )
