"""`ProvisioningFrames`: one row per event however often it was read, pandas views of Arrow."""

from __future__ import annotations

import pandas as pd
import payloads as p
import pyarrow as pa

import provlytics as pv
from provlytics.schema import SCHEMAS

CONFLICT = "gc532ff9-r265-ec76-861e-42e2970a8218"  # shared by the Contoso and Box examples
AWS = "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56"
LIVE = "a3f2b676-f27c-832e-6757-be2d5ed806ba"


def test_same_event_in_graph_page_and_portal_download_appears_once(tmp_path):
    graph = p.graph_page(p.v1_success_aws(), p.v1_failure_contoso(), p.v1_live_scim_group())
    p.write_json(tmp_path / "a-graph" / "page.json", graph)
    portal = p.beta_legacy_box()  # same id as the Contoso event, read later
    portal["provisioningSteps"] = portal["provisioningSteps"][:2]
    portal["modifiedProperties"] = portal["modifiedProperties"][:1]
    p.write_json(tmp_path / "b-portal" / "ProvisioningLogs.json", [portal])

    frames = pv.load(tmp_path)

    events = frames.table("events").select(["event_id", "dialect", "target_system_name"])
    assert sorted(events.to_pylist(), key=lambda r: r["event_id"]) == [
        {"event_id": AWS, "dialect": "graph.v1", "target_system_name": "Azure Active Directory"},
        {"event_id": LIVE, "dialect": "graph.v1", "target_system_name": "customappsso"},
        {"event_id": CONFLICT, "dialect": "portal", "target_system_name": "Box"},
    ]
    steps = frames.table("steps").filter(
        pa.compute.equal(frames.table("steps")["event_id"], CONFLICT)
    )
    assert steps.select(["step_index", "name", "description"]).to_pylist() == [
        {
            "step_index": 0,
            "name": "EntryImportAdd",
            "description": "Received Group 'Self-service Pilot' change of type (Add) "
            "from Azure Active Directory",
        },
        {
            "step_index": 1,
            "name": "EntrySynchronizationAdd",
            "description": "Group 'Self-service Pilot' will be created in Box (Group is active "
            "and assigned in Azure Active Directory, but no matching Group was found in Box)",
        },
    ]
    props = frames.table("modified_properties")
    assert props.filter(pa.compute.equal(props["event_id"], CONFLICT))["name"].to_pylist() == [
        "objectId"
    ]
    # one error row, from the Box copy
    assert frames.table("errors").select(["event_id", "error_code"]).to_pylist() == [
        {"event_id": CONFLICT, "error_code": "BoxEntryConflict"}
    ]
    assert frames.counts() == {
        "events": 3,
        "steps": 2 + 4 + 2,
        "modified_properties": 5 + 0 + 1,
        "errors": 1,
        "job_status": 0,
    }


def test_event_repeated_within_one_page_keeps_the_last_copy(tmp_path):
    first = p.v1_failure_contoso()
    last = p.v1_failure_contoso()
    last["provisioningStatusInfo"] = {"status": "success", "errorInformation": None}
    last["provisioningSteps"] = last["provisioningSteps"][:1]
    path = p.write_json(tmp_path / "page.json", p.graph_page(first, p.v1_success_aws(), last))

    frames = pv.load(path)

    assert sorted(frames.table("events")["event_id"].to_pylist()) == [AWS, CONFLICT]
    statuses = frames.table("events").select(["event_id", "status"]).to_pylist()
    assert sorted(statuses, key=lambda r: r["event_id"]) == [
        {"event_id": AWS, "status": "success"},
        {"event_id": CONFLICT, "status": "success"},
    ]
    steps = frames.table("steps")
    assert steps.filter(pa.compute.equal(steps["event_id"], CONFLICT)).num_rows == 1
    assert frames.table("errors").num_rows == 0


def test_distinct_events_are_all_kept(tmp_path):
    records = [p.v1_success_aws(), p.v1_failure_contoso(), p.v1_live_scim_group()]
    path = p.write_json(tmp_path / "page.json", p.graph_page(*records))
    frames = pv.load(path)
    assert sorted(frames.table("events")["event_id"].to_pylist()) == sorted([AWS, CONFLICT, LIVE])


def test_events_are_ordered_by_activity_time(tmp_path):
    records = [p.v1_live_scim_group(), p.v1_failure_contoso(), p.v1_success_aws()]
    path = p.write_json(tmp_path / "page.json", p.graph_page(*records))
    assert pv.load(path).table("events")["event_id"].to_pylist() == [AWS, CONFLICT, LIVE]


def test_frames_expose_tables_in_the_declared_schemas(tmp_path):
    path = p.write_json(tmp_path / "page.json", p.graph_page(p.v1_failure_contoso()))
    frames = pv.load(path)
    for name, schema in SCHEMAS.items():
        assert frames.table(name).schema == schema
        assert list(getattr(frames, name).columns) == schema.names


def test_pandas_views_use_nullable_types_and_real_nulls(tmp_path):
    path = p.write_json(tmp_path / "page.json", p.graph_page(p.v1_failure_contoso()))
    events = pv.load(path).events
    row = events.iloc[0]
    assert pd.isna(row["target_name"])
    assert pd.isna(row["initiated_by_id"])  # "" on the wire
    assert str(events["duration_ms"].dtype) == "Int64"
    assert str(events["activity_time"].dtype) == "datetime64[us, UTC]"
    assert row["duration_ms"] == 2785
    assert (events == "").sum().sum() == 0


def test_empty_load_has_empty_tables_with_schemas(tmp_path):
    path = p.write_json(tmp_path / "on-demand.json", p.on_demand_group())
    frames = pv.load(path)
    assert frames.counts() == dict.fromkeys(SCHEMAS, 0)
    assert list(frames.errors.columns) == SCHEMAS["errors"].names
    assert frames.records_read == 1
    assert frames.rejects.empty
