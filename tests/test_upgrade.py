"""Schema versions: a version-1 dataset written by hand is read back upgraded; other versions
are refused with both versions and the rewrite command named, for reading and for merging."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import payloads as p
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import provlytics as pv
from provlytics.schema import SCHEMA_VERSION, SCHEMAS, TIME

CONFLICT = "gc532ff9-r265-ec76-861e-42e2970a8218"
ORPHAN = "00000000-0000-0000-0000-00000000dead"
_S = pa.string()
# the errors table as provlytics wrote it at schema version 1
V1_ERRORS = pa.schema(
    [
        ("event_id", _S),
        ("activity_time", TIME),
        ("job_id", _S),
        ("action", _S),
        ("error_code", _S),
        ("error_category", _S),
        ("error_reason", _S),
        ("error_details", _S),
        ("recommended_action", _S),
        ("failed_step_name", _S),
        ("failed_step_type", _S),
        ("failed_step_description", _S),
        ("source_name", _S),
        ("target_name", _S),
        ("target_system_name", _S),
    ]
)
WHEN = datetime(2019, 6, 24, 20, 53, 8, tzinfo=UTC)


def v1_error(event_id: str, code: str) -> dict:
    return {
        "event_id": event_id,
        "activity_time": WHEN,
        "job_id": "ContosoOutDelta.7928d5b574424a97ne2d66f9j9972ecn",
        "action": "create",
        "error_code": code,
        "error_category": "nonServiceFailure",
        "error_reason": "409 Conflict",
        "error_details": None,
        "recommended_action": None,
        "failed_step_name": "EntryExportAdd",
        "failed_step_type": "export",
        "failed_step_description": "Failed to create Group 'Self-service Pilot' in Contoso",
        "source_name": "Self-service Pilot",
        "target_name": None,
        "target_system_name": "Contoso",
    }


def write_by_date(root: Path, name: str, table: pa.Table) -> None:
    """One Hive partition per UTC date of `activity_time`, as provlytics writes them."""
    dates = table["activity_time"].cast(pa.date32()).cast(pa.string())
    for date in pc.unique(dates).to_pylist():
        folder = root / name / f"activity_date={date}"
        folder.mkdir(parents=True)
        part = table.filter(pc.equal(dates, date))
        pq.write_table(part, folder / "part-0.parquet", compression="zstd")


def write_v1_dataset(root: Path) -> Path:
    """A version-1 dataset as provlytics 0.1 wrote it: events (unchanged since) of two
    records, and a 15-column errors table with a row for the conflict and an orphan row."""
    page = p.graph_page(p.v1_failure_contoso(), p.v1_success_aws())
    frames = pv.load(p.write_json(root.parent / "page.json", page))
    errors = [v1_error(CONFLICT, "ContosoEntryConflict"), v1_error(ORPHAN, "Timeout")]
    write_by_date(root, "events", frames.table("events"))
    write_by_date(root, "errors", pa.Table.from_pylist(errors, V1_ERRORS))
    manifest = {"schema_version": 1, "tool_version": "0.1.0", "sources": ["page.json"]}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def test_version_1_dataset_is_upgraded_in_memory(tmp_path):
    root = write_v1_dataset(tmp_path / "v1")
    back = pv.read_parquet(root)
    assert back.table("errors").schema == SCHEMAS["errors"]
    rows = {row["event_id"]: row for row in back.table("errors").to_pylist()}
    assert rows[CONFLICT] == {
        **v1_error(CONFLICT, "ContosoEntryConflict"),
        "status": "failure",
        "cycle_id": "44576n58-v14b-70fj-8404-3d22tt46ed93",
        "change_id": "eaad2f8b-e6e3-409b-83bd-e4e2e57177d5",
        "service_principal_id": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
        "service_principal_name": "Contoso",
        "source_id": "5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        "target_id": None,
        "reportable_identifier": "Self-service Pilot",
    }
    orphan = rows[ORPHAN]  # no event to take the new columns from: null, never invented
    assert [orphan[c] for c in ("status", "source_id", "reportable_identifier")] == [None] * 3
    assert orphan["error_code"] == "Timeout"
    assert back.counts()["events"] == 2
    assert back.events["event_id"].tolist() == [
        "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56",
        CONFLICT,
    ]


def test_upgraded_errors_match_a_fresh_load(tmp_path):
    root = write_v1_dataset(tmp_path / "v1")
    errors = pv.read_parquet(root).table("errors")
    upgraded = errors.filter(pc.equal(errors["event_id"], CONFLICT))
    fresh = pv.load(tmp_path / "page.json").table("errors")
    new_columns = [
        "status", "cycle_id", "change_id", "service_principal_id", "service_principal_name",
        "source_id", "target_id", "reportable_identifier",
    ]  # fmt: skip
    assert upgraded.select(new_columns).equals(fresh.select(new_columns))


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 0, "2.0", None])
def test_unknown_version_names_both_versions_and_the_rewrite(tmp_path, version):
    root = write_v1_dataset(tmp_path / "v")
    (root / "manifest.json").write_text(json.dumps({"schema_version": version}), "utf-8")
    with pytest.raises(pv.InputError) as info:
        pv.read_parquet(root)
    message = str(info.value)
    assert f"dataset schema version {version!r}" in message
    assert f"reads version {SCHEMA_VERSION}" in message
    assert "provlytics load <inputs> --out NEW_DIR" in message
    assert "manifest.json" in message


def test_merging_into_a_version_1_dataset_is_refused(tmp_path):
    root = write_v1_dataset(tmp_path / "v1")
    before = {f: f.read_bytes() for f in root.rglob("*") if f.is_file()}
    with pytest.raises(pv.InputError, match="cannot add to it: dataset schema version 1"):
        pv.load(tmp_path / "page.json").to_parquet(root)
    assert {f: f.read_bytes() for f in root.rglob("*") if f.is_file()} == before


# the job_status table as provlytics wrote it at schema version 1
_I, _B = pa.int64(), pa.bool_()
V1_JOB_STATUS = pa.schema(
    [
        ("observed_time", TIME), ("service_principal_id", _S), ("job_id", _S),
        ("template_id", _S), ("schedule_state", _S), ("schedule_interval", _S),
        ("status_code", _S), ("successive_failures", _I), ("quarantine_reason", _S),
        ("quarantine_began", TIME), ("quarantine_next_attempt", TIME),
        ("quarantine_series_count", _I), ("last_execution_state", _S),
        ("last_execution_began", TIME), ("last_execution_ended", TIME), ("last_error_code", _S),
        ("last_error_message", _S), ("last_error_tenant_actionable", _B), ("count_imported", _I),
        ("count_exported", _I), ("count_escrowed", _I), ("count_entitled", _I),
        ("last_successful_execution", TIME), ("steady_state_last_achieved", TIME),
    ]
)  # fmt: skip


def test_version_1_job_status_is_upgraded(tmp_path, caplog):
    root = write_v1_dataset(tmp_path / "v1")
    began = datetime(2021, 5, 24, 21, 45, 54, tzinfo=UTC)
    old = dict.fromkeys(V1_JOB_STATUS.names) | {
        "observed_time": datetime(2021, 5, 24, 22, tzinfo=UTC),
        "job_id": "aWSSingleSignon.1",
        "status_code": "Quarantine",
        "quarantine_began": began,
        "quarantine_series_count": 1,
        "last_error_code": "SystemForCrossDomainIdentityManagementInvalidCredentials",
        "count_imported": 0,
    }
    folder = root / "job_status" / "activity_date=2021-05-24"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([old], V1_JOB_STATUS), folder / "part-0.parquet")
    with caplog.at_level("WARNING"):
        jobs = pv.read_parquet(root).table("job_status")
    assert jobs.schema == SCHEMAS["job_status"]
    (row,) = jobs.to_pylist()
    assert row["quarantine_current_began"] == began  # Graph's currentBegan, renamed
    kept = {k: row[k] for k in old if k != "quarantine_began"}
    assert kept == {k: v for k, v in old.items() if k != "quarantine_began"}
    added = [c for c in SCHEMAS["job_status"].names if c not in V1_JOB_STATUS.names]
    assert len(added) == 18
    assert [row[c] for c in added if c != "quarantine_current_began"] == [None] * 17
    assert "job_status" not in caplog.text  # expected nulls: no warning
