"""Saved files: containers, encodings and folders; bad input names the file, record and field."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import payloads as p
import pytest

import provlytics as pv
from provlytics.pipeline.on_demand import parse_on_demand

CONTOSO = "gc532ff9-r265-ec76-861e-42e2970a8218"
AWS = "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56"
LIVE = "a3f2b676-f27c-832e-6757-be2d5ed806ba"
DIAG = "d6cbb0bd-c3ec-6455-bd3e-4282141ce369"


def event_ids(frames: pv.ProvisioningFrames) -> list[str]:
    return sorted(frames.table("events")["event_id"].to_pylist())


def column(frames: pv.ProvisioningFrames, table: str, name: str) -> list:
    return frames.table(table)[name].to_pylist()


# --- containers and dialects ---------------------------------------------------------------


def test_graph_page(tmp_path):
    path = p.write_json(
        tmp_path / "page.json", p.graph_page(p.v1_success_aws(), p.v1_live_scim_group())
    )
    frames = pv.load(path)
    assert event_ids(frames) == [AWS, LIVE]
    assert column(frames, "events", "dialect") == ["graph.v1", "graph.v1"]
    assert frames.sources == [str(path)]


def test_event_hub_batch(tmp_path):
    second = p.diagnostic_dropbox_skip()
    second["properties"]["id"] = "second-event"
    path = p.write_json(
        tmp_path / "eventhub.json", {"records": [p.diagnostic_dropbox_skip(), second]}
    )
    frames = pv.load(path)
    assert event_ids(frames) == [DIAG, "second-event"]
    assert set(column(frames, "events", "dialect")) == {"diagnostic"}


def test_diagnostic_storage_blob_is_json_lines_despite_json_suffix(tmp_path):
    second = p.diagnostic_dropbox_skip()
    second["properties"]["id"] = "second-event"
    blob = (
        tmp_path / "tenantId=5611623b" / "y=2022" / "m=08" / "d=23" / "h=13" / "m=00" / "PT1H.json"
    )
    p.write_lines(blob, [p.diagnostic_dropbox_skip(), second])
    frames = pv.load(tmp_path)
    assert event_ids(frames) == [DIAG, "second-event"]
    assert column(frames, "events", "duration_ms") == [828, 828]


def test_log_analytics_json_array_export(tmp_path):
    path = p.write_json(tmp_path / "AADProvisioningLogs.json", [p.log_analytics_row()])
    frames = pv.load(path)
    ev = frames.table("events").to_pylist()[0]
    assert (ev["dialect"], ev["tenant_id"], ev["error_code"]) == (
        "log_analytics",
        "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
        "ContosoEntryConflict",
    )
    assert frames.table("steps").num_rows == 3


def test_log_analytics_query_api_result(tmp_path):
    rows = [p.log_analytics_row(), p.log_analytics_row(p.v1_live_scim_group())]
    path = p.write_json(tmp_path / "query.json", p.log_analytics_query_result(*rows))
    frames = pv.load(path)
    assert event_ids(frames) == [LIVE, CONTOSO]
    assert set(column(frames, "events", "dialect")) == {"log_analytics"}
    assert sorted(column(frames, "events", "tenant_id")) == [
        "4b8c18bd-2f9f-4227-af55-9f1061cf9c32",
        "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
    ]
    assert column(frames, "errors", "error_code") == ["ContosoEntryConflict"]


def test_log_analytics_csv_export(tmp_path):
    row = p.log_analytics_row()
    row["TimeGenerated"] = "6/24/2019, 8:53:08.000 PM"  # the portal's CSV export spelling
    path = tmp_path / "AADProvisioningLogs.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    ev = pv.load(path).table("events").to_pylist()[0]
    assert (ev["event_id"], ev["activity_time"], ev["duration_ms"], ev["tenant_id"]) == (
        CONTOSO,
        datetime(2019, 6, 24, 20, 53, 8, tzinfo=UTC),
        2785,
        "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
    )


def test_portal_json_array_is_portal_dialect(tmp_path):
    path = p.write_json(tmp_path / "ProvisioningLogs.json", [p.beta_legacy_box()])
    frames = pv.load(path)
    assert column(frames, "events", "dialect") == ["portal"]
    assert column(frames, "events", "error_category") == ["nonServiceFailure"]
    assert column(frames, "steps", "step_type") == ["import", "matching", "export"]


EVENT_HEADERS = [
    "Date (UTC)", "Id", "Tenant Id", "Job Id", "Cycle Id", "Change Id", "Action", "Status",
    "Error Code", "Error Category", "Reason", "Additional Details", "Recommended Action",
    "Duration (ms)", "Service Principal Id", "Service Principal Name", "Source System Name",
    "Target System Name", "Source Identity Id", "Source Identity Name", "Source Identity Type",
    "Target Identity Id", "Target Identity Name", "Target Identity Type", "Initiated By Name",
    "Initiated By Type", "Portal Only Column",
]  # fmt: skip
STEP_HEADERS = ["Change Id", "Step Number", "Name", "Type", "Status", "Description", "Details"]
PROPERTY_HEADERS = ["Change Id", "Display Name", "Old Value", "New Value"]
CHANGE = "eaad2f8b-e6e3-409b-83bd-e4e2e57177d5"


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # the portal writes a BOM
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_portal_csv(folder: Path, *, extra_steps: list[list[str]] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "ProvisioningLogs.csv",
        EVENT_HEADERS,
        [
            [
                "2019-06-24T20:53:08Z", CONTOSO, "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
                "BoxOutDelta.7928d5b574424a97ne2d66f9j9972ecn",
                "44576n58-v14b-70fj-8404-3d22tt46ed93", CHANGE, "Create", "Failure",
                "BoxEntryConflict", "NonServiceFailure", p.BOX_REASON, "", "", "2785",
                "chc46a42-966b-47d7-9774-576b1c8bd0b8", "Box", "Azure Active Directory", "Box",
                "5e6c9rae-ab4d-5239-8ad0-174391d110eb", "Self-service Pilot", "Group", "", "",
                "Group", "Azure AD Provisioning Service", "System", "kept",
            ]
        ],
    )  # fmt: skip
    write_csv(
        folder / "ProvisioningLogs_ProvisioningSteps.csv",
        STEP_HEADERS,
        [
            [CHANGE, "3", "EntryExportAdd", "Export", "Failure",
             "Failed to create Group 'Self-service Pilot' in Box",
             '{"ReportableIdentifier":"Self-service Pilot"}'],
            [CHANGE, "1", "EntryImportAdd", "Import", "Success", "Received Group", "{}"],
            [CHANGE, "2", "EntrySynchronizationAdd", "Matching", "Success", "Will be created", ""],
            *extra_steps,
        ],
    )  # fmt: skip
    write_csv(
        folder / "ProvisioningLogs_ModifiedProperties.csv",
        PROPERTY_HEADERS,
        [
            [CHANGE, "displayName", "", "Self-service Pilot"],
            [CHANGE, "mailEnabled", "True", "False"],
        ],
    )
    return folder


def test_portal_three_file_csv(tmp_path):
    frames = pv.load(write_portal_csv(tmp_path / "portal"))
    ev = frames.table("events").to_pylist()[0]
    assert {k: ev[k] for k in ev if ev[k] is not None} == {
        "event_id": CONTOSO,
        "activity_time": datetime(2019, 6, 24, 20, 53, 8, tzinfo=UTC),
        "tenant_id": "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
        "job_id": "BoxOutDelta.7928d5b574424a97ne2d66f9j9972ecn",
        "cycle_id": "44576n58-v14b-70fj-8404-3d22tt46ed93",
        "change_id": CHANGE,
        "action": "create",
        "status": "failure",
        "error_code": "BoxEntryConflict",
        "error_category": "nonServiceFailure",
        "error_reason": p.BOX_REASON,
        "duration_ms": 2785,
        "service_principal_id": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
        "service_principal_name": "Box",
        "source_system_name": "Azure Active Directory",
        "target_system_name": "Box",
        "source_id": "5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        "source_name": "Self-service Pilot",
        "source_type": "Group",
        "target_type": "Group",
        "initiated_by_name": "Azure AD Provisioning Service",
        "initiated_by_type": "system",
        "reportable_identifier": "Self-service Pilot",
        "dialect": "portal",
        "extra": '{"Portal Only Column":"kept"}',
    }
    steps = frames.table("steps").select(["step_index", "name", "step_type", "status", "details"])
    assert steps.to_pylist() == [
        {
            "step_index": 0,
            "name": "EntryImportAdd",
            "step_type": "import",
            "status": "success",
            "details": "{}",
        },
        {
            "step_index": 1,
            "name": "EntrySynchronizationAdd",
            "step_type": "matching",
            "status": "success",
            "details": None,
        },
        {
            "step_index": 2,
            "name": "EntryExportAdd",
            "step_type": "export",
            "status": "failure",
            "details": '{"ReportableIdentifier":"Self-service Pilot"}',
        },
    ]
    assert frames.table("modified_properties").to_pylist() == [
        {
            "event_id": CONTOSO,
            "property_index": 0,
            "name": "displayName",
            "old_value": None,
            "new_value": "Self-service Pilot",
        },
        {
            "event_id": CONTOSO,
            "property_index": 1,
            "name": "mailEnabled",
            "old_value": "True",
            "new_value": "False",
        },
    ]
    assert column(frames, "errors", "failed_step_name") == ["EntryExportAdd"]


def test_portal_steps_sort_by_step_number_numerically(tmp_path):
    extra = [[CHANGE, "10", "EntryLate", "Export", "Success", "tenth", ""]]
    frames = pv.load(write_portal_csv(tmp_path / "portal", extra_steps=extra))
    assert column(frames, "steps", "name")[-1] == "EntryLate"


def test_portal_orphan_companion_row_names_the_file(tmp_path):
    orphan = [["ffffffff-0000-0000-0000-000000000000", "1", "X", "Import", "Success", "", ""]]
    folder = write_portal_csv(tmp_path / "portal", extra_steps=orphan)
    with pytest.raises(pv.InputError, match=r"ProvisioningLogs_ProvisioningSteps\.csv") as info:
        pv.load(folder)
    assert "ffffffff-0000-0000-0000-000000000000" in str(info.value)


def test_portal_companion_without_main_file(tmp_path):
    folder = write_portal_csv(tmp_path / "portal")
    (folder / "ProvisioningLogs.csv").unlink()
    with pytest.raises(pv.InputError, match=r"ProvisioningLogs_ModifiedProperties\.csv"):
        pv.load(folder)


@pytest.mark.parametrize(
    ("response", "result", "code", "events"),
    [
        (
            p.on_demand_skipped,
            "Skipped",
            "RedundantExport",
            ["g8ba3be8-1d7f-4a60-ae31-a8980da0a389"],
        ),
        (p.on_demand_cloud_sync_update, "Success", None, ["582595f3-53be-4843-bf0c-f57dbf8fae96"]),
        (p.on_demand_group, "Success", None, []),
    ],
)
def test_on_demand_responses(tmp_path, response, result, code, events):
    path = p.write_json(tmp_path / "on-demand.json", response())
    assert event_ids(pv.load(path)) == events
    parsed = parse_on_demand(path)
    assert (parsed.result, parsed.error_code, parsed.ok) == (result, code, True)
    assert event_ids(parsed.frames) == events
    assert event_ids(pv.read_on_demand(json.dumps(response()))) == events
    assert event_ids(pv.read_on_demand(response())) == events


def test_job_list_file(tmp_path):
    jobs = p.job_list(p.job_quarantined_aws())
    frames = pv.load(p.write_json(tmp_path / "jobs.json", jobs))
    row = frames.table("job_status").to_pylist()[0]
    assert (row["service_principal_id"], row["status_code"], row["quarantine_reason"]) == (
        p.AWS_SERVICE_PRINCIPAL_ID,
        "Quarantine",
        "EncounteredQuarantineException",
    )
    assert row["observed_time"] is not None
    assert frames.table("events").num_rows == 0


# --- files and folders ------------------------------------------------------------------------


def test_folders_are_searched_recursively_and_hidden_files_skipped(tmp_path):
    p.write_json(tmp_path / "a" / "b" / "c" / "page.json", p.graph_page(p.v1_success_aws()))
    p.write_json(tmp_path / ".cache" / "page.json", p.graph_page(p.v1_failure_contoso()))
    p.write_json(tmp_path / "a" / ".old.json", p.graph_page(p.v1_live_scim_group()))
    (tmp_path / "a" / "notes.txt").write_text("not data")
    (tmp_path / "README.md").write_text("# not data")
    frames = pv.load(tmp_path)
    assert event_ids(frames) == [AWS]
    assert frames.sources == [str(tmp_path / "a" / "b" / "c" / "page.json")]


def test_gzip_is_detected_by_magic_bytes(tmp_path):
    p.write_json(tmp_path / "page.json", p.graph_page(p.v1_success_aws()), gz=True)
    p.write_json(tmp_path / "page2.json.gz", p.graph_page(p.v1_live_scim_group()), gz=True)
    p.write_lines(tmp_path / "lines.ndjson.gz", [p.v1_failure_contoso()], gz=True)
    assert event_ids(pv.load(tmp_path)) == [AWS, LIVE, CONTOSO]


def test_utf8_byte_order_mark(tmp_path):
    text = json.dumps(p.graph_page(p.v1_success_aws()), ensure_ascii=False)
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert event_ids(pv.load(path)) == [AWS]
    lines = tmp_path / "bom.ndjson"
    lines.write_bytes(b"\xef\xbb\xbf" + json.dumps(p.v1_live_scim_group()).encode() + b"\n")
    assert event_ids(pv.load(lines)) == [LIVE]


def test_ndjson_and_jsonl(tmp_path):
    p.write_lines(tmp_path / "a.ndjson", [p.v1_success_aws(), p.v1_failure_contoso()])
    p.write_lines(tmp_path / "b.jsonl", [p.v1_live_scim_group()])
    assert event_ids(pv.load(tmp_path)) == [AWS, LIVE, CONTOSO]


def test_unicode_survives(tmp_path):
    record = p.v1_failure_contoso()
    record["sourceIdentity"]["displayName"] = "開発チーム Ødegaard 😀"
    path = tmp_path / "page.json"
    path.write_text(json.dumps(p.graph_page(record), ensure_ascii=False), encoding="utf-8")
    assert column(pv.load(path), "events", "source_name") == ["開発チーム Ødegaard 😀"]


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(pv.InputError, match="nothing-here"):
        pv.load(tmp_path / "nothing-here")


# --- bad input: the message names the file, the line or record, and the field ----------------


def _bad_record(change) -> dict:
    record = p.v1_failure_contoso()
    change(record)
    return p.graph_page(p.v1_success_aws(), record)


def _write(name: str, data) -> callable:
    def make(folder: Path) -> Path:
        path = folder / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            p.write_json(path, data)
        return path

    return make


GOOD_PAGE = json.dumps(p.graph_page(p.v1_success_aws(), p.v1_failure_contoso())).encode()
BAD_ON_DEMAND = {**p.on_demand_skipped(), "value": '{"action":"Other","changeId":'}
BAD_LINES = b"\n".join(
    [
        json.dumps(p.v1_success_aws()).encode(),
        json.dumps(p.v1_live_scim_group()).encode(),
        b'{"id": "broken", "activityDateTime": ',
        json.dumps(p.v1_failure_contoso()).encode(),
    ]
)

# (case, writer, texts the message must hold, field)
BAD_FILES = {
    "truncated JSON": (_write("trunc.json", GOOD_PAGE[:300]), ["trunc.json", "truncated"], None),
    "not JSON": (_write("notes.json", b"hello, world"), ["notes.json", "not valid JSON"], None),
    "empty file": (_write("empty.json", b""), ["empty.json", "empty"], None),
    "blank file": (_write("blank.json", b"  \n "), ["blank.json", "empty"], None),
    "Graph error body": (
        _write("page-7.json", p.GRAPH_ERROR_BODY),
        ["page-7.json", "Authorization_RequestDenied", "Insufficient privileges"],
        None,
    ),
    "on-demand value not JSON": (
        _write("od.json", BAD_ON_DEMAND),
        ["od.json", "record 1", "'value'", "not valid JSON"],
        "value",
    ),
    "activityDateTime a number": (
        _write("time12.json", _bad_record(lambda r: r.update(activityDateTime=12))),
        ["time12.json", "record 2", "'activityDateTime'", "12"],
        "activityDateTime",
    ),
    "bad timestamp text": (
        _write("when.json", _bad_record(lambda r: r.update(activityDateTime="yesterday"))),
        ["when.json", "record 2", "'activityDateTime'", "'yesterday'"],
        "activityDateTime",
    ),
    "missing id": (
        _write("noid.json", _bad_record(lambda r: r.pop("id"))),
        ["noid.json", "record 2", "'id'", "missing"],
        "id",
    ),
    "NDJSON bad line 3": (
        _write("logs.ndjson", BAD_LINES),
        ["logs.ndjson:3", "not valid JSON"],
        None,
    ),
    "truncated gzip": (
        _write("page.json.gz", gzip.compress(GOOD_PAGE)[:200]),
        ["page.json.gz", "gzip"],
        None,
    ),
    "truncated gzip JSON lines": (
        _write("lines.ndjson.gz", gzip.compress(BAD_LINES)[:150]),
        ["lines.ndjson.gz"],
        None,
    ),
    "a scalar document": (_write("scalar.json", 42), ["scalar.json", "got a number"], None),
    "a record of no known shape": (
        _write("odd.json", {"value": [{"foo": 1, "bar": 2}]}),
        ["odd.json", "record 1", "not a provisioning record"],
        None,
    ),
}


@pytest.mark.parametrize(("write", "texts", "field"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_input_names_where_and_what(tmp_path, write, texts, field):
    path = write(tmp_path)
    with pytest.raises(pv.InputError) as info:
        pv.load(path)
    message = str(info.value)
    assert "\n" not in message
    for text in texts:
        assert text in message
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


RECORD_MUTATIONS = {
    "activityDateTime a number": (lambda r: r.update(activityDateTime=12), "activityDateTime"),
    "bad timestamp": (lambda r: r.update(activityDateTime="not a time"), "activityDateTime"),
    "missing id": (lambda r: r.pop("id"), "id"),
}


@pytest.mark.parametrize(
    ("change", "field"), list(RECORD_MUTATIONS.values()), ids=list(RECORD_MUTATIONS)
)
def test_collect_mode_loads_good_records_and_lists_rejects(tmp_path, change, field):
    bad = p.v1_failure_contoso()
    change(bad)
    page = p.graph_page(p.v1_success_aws(), bad, p.v1_live_scim_group())
    path = p.write_json(tmp_path / "page.json", page)
    frames = pv.load(path, on_error="collect")
    assert event_ids(frames) == [AWS, LIVE]
    assert frames.table("steps").num_rows == 2 + 4
    rejects = frames.rejects.to_dict("records")
    assert len(rejects) == 1
    assert rejects[0]["origin"] == f"{path}: record 2"
    assert rejects[0]["field"] == field
    assert rejects[0]["reason"]
    assert json.loads(rejects[0]["record"])["jobId"] == bad["jobId"]


def test_collect_mode_sets_aside_a_bad_ndjson_line(tmp_path):
    path = tmp_path / "logs.ndjson"
    path.write_bytes(BAD_LINES)
    frames = pv.load(path, on_error="collect")
    assert event_ids(frames) == [AWS, LIVE, CONTOSO]
    rejects = frames.rejects.to_dict("records")
    assert len(rejects) == 1
    assert rejects[0]["origin"].startswith(f"{path}:3")


def test_collect_mode_names_the_line_of_a_bad_ndjson_record(tmp_path):
    bad = p.v1_failure_contoso()
    del bad["id"]
    path = p.write_lines(
        tmp_path / "logs.ndjson", [p.v1_success_aws(), p.v1_live_scim_group(), bad]
    )
    frames = pv.load(path, on_error="collect")
    assert event_ids(frames) == [AWS, LIVE]
    assert frames.rejects["origin"].tolist() == [f"{path}:3: record 3"]
    with pytest.raises(pv.InputError, match=r"logs\.ndjson:3: record 3: 'id'"):
        pv.load(path)


def test_bad_timestamp_names_the_right_record_when_ids_repeat(tmp_path):
    bad = p.v1_success_aws()
    bad["activityDateTime"] = "yesterday"
    path = p.write_json(tmp_path / "page.json", p.graph_page(bad, p.v1_success_aws()))
    with pytest.raises(pv.InputError, match=r"page\.json: record 1: 'activityDateTime'"):
        pv.load(path)
    frames = pv.load(path, on_error="collect")
    assert event_ids(frames) == [AWS]
    assert frames.rejects["origin"].tolist() == [f"{path}: record 1"]


def test_collect_mode_lists_each_rejected_record_once(tmp_path):
    no_id = p.v1_failure_contoso()
    del no_id["id"]
    bad_time = p.v1_live_scim_group()
    bad_time["activityDateTime"] = "yesterday"
    page = p.graph_page(no_id, bad_time, p.v1_success_aws())
    path = p.write_json(tmp_path / "page.json", page)
    frames = pv.load(path, on_error="collect")
    assert event_ids(frames) == [AWS]
    assert sorted(frames.rejects["origin"]) == [f"{path}: record 1", f"{path}: record 2"]
    manifest = pv.load_to_parquet(path, tmp_path / "report", on_error="collect")
    assert manifest["records_rejected"] == 2
