"""The Parquet dataset: round trips, Hive layout, zstd, merging, manifest, atomic failure."""

from __future__ import annotations

import json
from pathlib import Path

import payloads as p
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import provlytics as pv
from provlytics.schema import KEYS, SCHEMA_VERSION, SCHEMAS, TABLE_NAMES, render_markdown

ROOT = Path(__file__).resolve().parent.parent
CONFLICT = "gc532ff9-r265-ec76-861e-42e2970a8218"
AWS = "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56"
LIVE = "a3f2b676-f27c-832e-6757-be2d5ed806ba"
DIAG = "d6cbb0bd-c3ec-6455-bd3e-4282141ce369"
OD_SKIP = "g8ba3be8-1d7f-4a60-ae31-a8980da0a389"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder of every kind of input: Graph page, on-demand response, diagnostic, jobs."""
    folder = tmp_path / "source"
    page = p.graph_page(p.v1_success_aws(), p.v1_failure_contoso(), p.v1_live_scim_group())
    p.write_json(folder / "page.json", page)
    p.write_json(folder / "on-demand.json", p.on_demand_skipped())
    p.write_json(folder / "jobs.json", p.job_list(p.job_quarantined_aws()))
    return folder


@pytest.fixture
def frames(source: Path) -> pv.ProvisioningFrames:
    return pv.load(source)


def by_key(table, name):
    return table.sort_by([(k, "ascending") for k in KEYS[name]])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, with its bytes."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in folder.rglob("*") if f.is_file()}


def test_round_trip_gives_the_same_rows_and_schemas(frames, tmp_path):
    frames.to_parquet(tmp_path / "report")
    back = pv.read_parquet(tmp_path / "report")
    for name in TABLE_NAMES:
        assert back.table(name).schema == SCHEMAS[name], name
        assert by_key(back.table(name), name).equals(by_key(frames.table(name), name)), name
    assert frames.counts() == {
        "events": 4,
        "steps": 2 + 3 + 4 + 4,
        "modified_properties": 5 + 6 + 7,
        "errors": 1,
        "job_status": 1,
    }


def test_round_trip_is_exact_including_row_order(frames, tmp_path):
    frames.to_parquet(tmp_path / "report")
    back = pv.read_parquet(tmp_path / "report")
    for name in TABLE_NAMES:
        assert back.table(name).equals(frames.table(name)), name


def test_round_trip_keeps_pandas_frames_equal(frames, tmp_path):
    frames.to_parquet(tmp_path / "report")
    back = pv.read_parquet(tmp_path / "report")
    events = back.events.sort_values("event_id", ignore_index=True)
    expected = frames.events.sort_values("event_id", ignore_index=True)
    assert events.equals(expected)


def test_hive_partitions_by_activity_date(frames, tmp_path):
    root = frames.to_parquet(tmp_path / "report")
    assert sorted(d.name for d in (root / "events").iterdir()) == [
        "activity_date=2019-05-04",
        "activity_date=2019-06-24",
        "activity_date=2020-06-26",
        "activity_date=2026-07-17",
    ]
    # children follow their event's date
    assert sorted(d.name for d in (root / "errors").iterdir()) == ["activity_date=2019-06-24"]
    assert sorted(d.name for d in (root / "modified_properties").iterdir()) == [
        "activity_date=2019-05-04",
        "activity_date=2019-06-24",
        "activity_date=2020-06-26",
    ]
    live_steps = pq.read_table(
        next((root / "steps" / "activity_date=2026-07-17").glob("*.parquet"))
    )
    assert set(live_steps["event_id"].to_pylist()) == {LIVE}
    assert len(list((root / "job_status").iterdir())) == 1


def test_files_are_zstd_compressed(frames, tmp_path):
    root = frames.to_parquet(tmp_path / "report")
    files = list(root.rglob("*.parquet"))
    assert len(files) >= len(TABLE_NAMES)
    for f in files:
        metadata = pq.ParquetFile(f).metadata
        for i in range(metadata.num_columns):
            assert metadata.row_group(0).column(i).compression == "ZSTD", f


def test_writing_the_same_input_twice_changes_no_counts(source, tmp_path):
    out = tmp_path / "report"
    first = pv.load_to_parquet(source, out)
    second = pv.load_to_parquet(source, out)
    assert second["row_counts"] == first["row_counts"]
    assert first["row_counts"] == {
        "events": 4,
        "steps": 13,
        "modified_properties": 18,
        "errors": 1,
        "job_status": 1,
    }
    back = pv.read_parquet(out)
    assert back.counts()["events"] == 4
    assert len(set(back.table("events")["event_id"].to_pylist())) == 4


def test_loading_new_data_adds_only_new_events(source, tmp_path):
    out = tmp_path / "report"
    pv.load_to_parquet(source, out)
    newer = tmp_path / "newer"
    p.write_lines(newer / "PT1H.json", [p.diagnostic_dropbox_skip()])
    p.write_json(newer / "again.json", p.graph_page(p.v1_success_aws()))
    manifest = pv.load_to_parquet(newer, out)
    assert manifest["row_counts"]["events"] == 5
    assert manifest["row_counts"]["steps"] == 13 + 4
    back = pv.read_parquet(out)
    assert sorted(back.table("events")["event_id"].to_pylist()) == sorted(
        [AWS, CONFLICT, LIVE, OD_SKIP, DIAG]
    )
    assert len(manifest["sources"]) == 5


def test_reloading_a_changed_event_replaces_its_children(tmp_path):
    out = tmp_path / "report"
    pv.load_to_parquet(p.write_json(tmp_path / "a.json", p.graph_page(p.v1_failure_contoso())), out)
    changed = p.v1_failure_contoso()
    changed["provisioningStatusInfo"] = {"status": "success", "errorInformation": None}
    changed["provisioningSteps"] = changed["provisioningSteps"][:1]
    changed["modifiedProperties"] = []
    manifest = pv.load_to_parquet(p.write_json(tmp_path / "b.json", p.graph_page(changed)), out)
    assert manifest["row_counts"] == {
        "events": 1,
        "steps": 1,
        "modified_properties": 0,
        "errors": 0,
        "job_status": 0,
    }
    assert pv.read_parquet(out).table("events")["status"].to_pylist() == ["success"]


def test_streamed_load_keeps_children_of_the_last_copy_only(tmp_path):
    source = tmp_path / "source"
    p.write_json(source / "a-graph.json", p.graph_page(p.v1_failure_contoso(), p.v1_success_aws()))
    later = p.beta_legacy_box()  # same event id, read later
    later["provisioningSteps"] = later["provisioningSteps"][:1]
    p.write_json(source / "b-portal" / "ProvisioningLogs.json", [later])
    manifest = pv.load_to_parquet(source, tmp_path / "report")
    back = pv.read_parquet(tmp_path / "report")
    conflict = back.table("events").filter(pc.equal(back.table("events")["event_id"], CONFLICT))
    assert conflict["target_system_name"].to_pylist() == ["Box"]
    steps = back.table("steps").filter(pc.equal(back.table("steps")["event_id"], CONFLICT))
    assert steps["name"].to_pylist() == ["EntryImportAdd"]
    assert manifest["row_counts"]["events"] == 2
    assert manifest["row_counts"]["steps"] == 1 + 2


def test_manifest_describes_the_dataset(source, tmp_path):
    out = tmp_path / "report"
    pv.load_to_parquet(source, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["tool_version"] == "0.1.0"
    assert sorted(manifest["sources"]) == sorted(f.name for f in source.iterdir())  # relative
    assert manifest["row_counts"] == {
        "events": 4,
        "steps": 13,
        "modified_properties": 18,
        "errors": 1,
        "job_status": 1,
    }
    assert manifest["time_range"] == {
        "start": "2019-05-04T03:00:54+00:00",
        "end": "2026-07-17T12:31:10+00:00",
    }
    assert manifest["records_read"] == 4
    assert manifest["records_rejected"] == 0


def test_manifest_counts_rejected_records(tmp_path):
    bad = p.v1_failure_contoso()
    del bad["id"]
    path = p.write_json(tmp_path / "page.json", p.graph_page(p.v1_success_aws(), bad))
    manifest = pv.load_to_parquet(path, tmp_path / "report", on_error="collect")
    assert (manifest["records_read"], manifest["records_rejected"]) == (2, 1)
    assert manifest["row_counts"]["events"] == 1


def test_other_schema_version_is_refused(frames, tmp_path):
    root = frames.to_parquet(tmp_path / "report")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION + 1
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(pv.InputError, match="schema version") as info:
        pv.read_parquet(root)
    assert "manifest.json" in str(info.value)


def test_folder_without_manifest_is_not_a_dataset(tmp_path):
    with pytest.raises(pv.InputError, match="manifest"):
        pv.read_parquet(tmp_path)


@pytest.mark.parametrize(
    "bad_name",
    ["zz-truncated.json", "zz-bad.ndjson"],
)
def test_failed_load_leaves_the_dataset_as_it_was(source, tmp_path, bad_name):
    out = tmp_path / "report"
    pv.load_to_parquet(source, out)
    before = snapshot(out)
    p.write_json(source / "m-new.json", p.graph_page(p.diagnostic_dropbox_skip()))  # read first
    (source / bad_name).write_text('{"value": [{"id": ', encoding="utf-8")
    with pytest.raises(pv.InputError, match=bad_name.replace(".", r"\.")):
        pv.load_to_parquet(source, out)
    assert snapshot(out) == before


def test_failed_first_load_writes_no_partitions_or_manifest(tmp_path):
    source = tmp_path / "source"
    p.write_json(source / "a.json", p.graph_page(p.v1_success_aws()))
    bad = p.v1_failure_contoso()
    bad["activityDateTime"] = "yesterday"
    p.write_json(source / "b.json", p.graph_page(bad))
    out = tmp_path / "report"
    with pytest.raises(pv.InputError, match="yesterday"):
        pv.load_to_parquet(source, out)
    # the writers' lock file (empty; the OS lock dies with its process) is all there is
    assert not out.exists() or snapshot(out) == {".provlytics.lock": b""}


def test_docs_schema_matches_the_schema_module():
    docs = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert docs == render_markdown(), "docs/schema.md is stale: run `make docs`"


def test_schema_docs_list_every_column():
    text = render_markdown()
    for name, schema in SCHEMAS.items():
        assert f"## {name}" in text
        for field in schema:
            assert f"| `{field.name}` | `{field.type}` |" in text
