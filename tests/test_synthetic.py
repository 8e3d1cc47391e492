"""The synthetic generator: deterministic, realistic, and faithful to each dialect's shape."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from provlytics.synthetic import (
    ERROR_CODES,
    SKIP_REASONS,
    generate_jobs,
    generate_records,
    to_beta_legacy,
    to_diagnostic,
    to_log_analytics,
    to_on_demand,
    to_portal_csv_rows,
    write_samples,
)
from provlytics.synthetic.shapes import (
    PORTAL_EVENT_HEADERS,
    PORTAL_PROPERTY_HEADERS,
    PORTAL_STEP_HEADERS,
    WORKSPACE_ID,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
TOP_LEVEL = {
    "id": str, "activityDateTime": str, "tenantId": str, "jobId": str, "cycleId": str,
    "changeId": str, "durationInMilliseconds": int, "provisioningAction": str,
    "provisioningStatusInfo": dict, "provisioningSteps": list, "modifiedProperties": list,
    "servicePrincipal": dict, "sourceSystem": dict, "targetSystem": dict,
    "sourceIdentity": dict, "targetIdentity": dict, "initiatedBy": dict,
}  # fmt: skip
STEP_TYPES = {"import", "scoping", "matching", "processing", "referenceResolution", "export"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(generate_records(4000, seed=11))


def _status(rec: dict) -> str:
    return rec["provisioningStatusInfo"]["status"]


def _first(records: list[dict], status: str) -> dict:
    return next(r for r in records if _status(r) == status)


def test_same_seed_gives_identical_bytes_and_other_seed_differs():
    first = orjson.dumps(list(generate_records(300, seed=5)))
    assert first == orjson.dumps(list(generate_records(300, seed=5)))
    assert first != orjson.dumps(list(generate_records(300, seed=6)))


def test_records_have_every_documented_field_with_the_right_type(records):
    for rec in records:
        assert set(rec) == set(TOP_LEVEL)
        for key, kind in TOP_LEVEL.items():
            assert isinstance(rec[key], kind), key
        assert rec["initiatedBy"] == {
            "id": "",
            "displayName": "Azure AD Provisioning Service",
            "initiatorType": "system",
        }
        assert rec["targetSystem"]["details"]["ServicePrincipalId"] == rec["servicePrincipal"]["id"]
        template, tenant_hex, _ = rec["jobId"].split(".")
        assert tenant_hex == rec["tenantId"].replace("-", "") and template
        for step in rec["provisioningSteps"]:
            assert step["provisioningStepType"] in STEP_TYPES
            assert all(isinstance(v, str) for v in step["details"].values())
        for prop in rec["modifiedProperties"]:
            assert prop["oldValue"] is None or isinstance(prop["oldValue"], str)
            assert isinstance(prop["newValue"], str)


def test_records_are_sorted_and_timestamps_are_utc_with_seven_digit_fractions(records):
    times = [r["activityDateTime"] for r in records]
    assert times == sorted(times)
    assert all(t.endswith("Z") for t in times)
    fractions = [t for t in times if "." in t]
    assert 0 < len(fractions) < len(times)
    assert all(len(t.split(".")[1]) == 8 for t in fractions)  # 7 digits + "Z"
    assert times[0] >= "2026-11-17T00:00:00Z" and times[-1] < "2026-11-20T00:00:00Z"


def test_status_mix_is_realistic(records):
    shares = {k: v / len(records) for k, v in Counter(map(_status, records)).items()}
    assert 0.55 <= shares["success"] <= 0.65
    assert 0.20 <= shares["skipped"] <= 0.30
    assert 0.09 <= shares["failure"] <= 0.15
    assert 0.01 <= shares["warning"] <= 0.06


def test_errors_use_documented_codes_and_the_failing_step_fails(records):
    for rec in records:
        error = rec["provisioningStatusInfo"]["errorInformation"]
        if _status(rec) in ("success", "skipped"):
            assert error is None
            continue
        assert error["errorCode"] in ERROR_CODES
        assert error["errorCategory"] in {"failure", "nonServiceFailure"}
        assert error["reason"]
        if _status(rec) == "failure":
            assert rec["provisioningSteps"][-1]["status"] == "failure"
    codes = {
        (r["provisioningStatusInfo"]["errorInformation"] or {}).get("errorCode") for r in records
    }
    assert {"EntryConflict", "SalesforceEntryConflict", "DuplicateTargetEntries"} <= codes


def test_skips_carry_a_documented_reason(records):
    reasons = Counter()
    for rec in filter(lambda r: _status(r) == "skipped", records):
        skip = rec["provisioningSteps"][-1]
        assert skip["status"] == "skipped"
        assert skip["details"]["ReportableIdentifier"]
        reasons[skip["details"]["SkipReason"]] += 1
        if skip["details"]["SkipReason"] == "AttributeValidationFailed":
            assert skip["details"]["PropertyName"]
    assert set(reasons) == set(SKIP_REASONS)


def test_conflicts_put_two_source_users_on_one_target_identity(records):
    conflicts = [
        r
        for r in records
        if (r["provisioningStatusInfo"]["errorInformation"] or {}).get("errorCode")
        in {"EntryConflict", "SalesforceEntryConflict", "DuplicateTargetEntries"}
    ]
    by_target = {(r["jobId"], r["targetIdentity"]["id"]) for r in conflicts}
    matched = [
        r
        for r in records
        if (r["jobId"], r["targetIdentity"]["id"]) in by_target
        and r["sourceIdentity"]["id"] not in {c["sourceIdentity"]["id"] for c in conflicts}
    ]
    assert conflicts and matched


def test_a_conflicting_account_has_the_name_of_the_one_it_meets_and_aliases_fold_accents(
    records,
):
    """A conflict's source is the person's second account: it has their name as written
    ("Łukasz Brown", not "ukasz Brown"); a group's mailNickname drops accents, not letters."""
    conflicts = [
        r
        for r in records
        if (r["provisioningStatusInfo"]["errorInformation"] or {}).get("errorCode")
        in {"EntryConflict", "SalesforceEntryConflict", "DuplicateTargetEntries"}
    ]
    pairs = {
        (r["sourceIdentity"]["displayName"], r["targetIdentity"]["displayName"]) for r in conflicts
    }
    assert {source for source, _ in pairs} >= {"Łukasz Brown", "佐藤 花子", "José Johansson"}
    assert all(source == target for source, target in pairs)
    aliases = {
        r["sourceIdentity"]["displayName"]: prop["newValue"].rstrip("0123456789")
        for r in records
        for prop in r["modifiedProperties"]
        if prop["displayName"] == "mailNickname"
    }
    assert aliases["Équipe Zürich"] == "equipezurich"
    assert aliases["Führungskräfte"] == "fuhrungskrafte"
    assert aliases["Sales – EMEA"] == "salesemea"
    assert aliases["開発チーム"] == "grp"  # no Latin letter to keep


def test_unicode_names_and_groups_are_present(records):
    names = {r["sourceIdentity"]["displayName"] for r in records}
    assert {"王秀英", "Zoë Ødegaard"} & names
    assert any(not n.isascii() for n in names)
    groups = [r for r in records if r["sourceIdentity"]["identityType"] == "Group"]
    assert any(p["displayName"] == "members" for r in groups for p in r["modifiedProperties"])


def test_beta_legacy_has_flat_status_and_pascal_action(records):
    failed = to_beta_legacy(_first(records, "failure"))
    assert "provisioningAction" not in failed and "provisioningStatusInfo" not in failed
    assert failed["action"][0].isupper()
    status = failed["statusInfo"]
    assert status["@odata.type"] == "#microsoft.graph.statusDetails"
    assert status["errorCode"] in ERROR_CODES
    assert status["errorCategory"] in {"Failure", "NonServiceFailure"}
    both = to_beta_legacy(_first(records, "success"), keep_new=True)
    assert both["provisioningAction"] and both["statusInfo"]["errorCode"] is None


def test_diagnostic_record_uses_pascal_ids_and_integer_enums(records):
    rec = _first(records, "skipped")
    diag = to_diagnostic(rec)
    assert diag["category"] == "ProvisioningLogs"
    assert diag["resourceId"] == f"/tenants/{rec['tenantId']}/providers/Microsoft.aadiam"
    assert diag["resultType"] == "Skipped"
    assert (diag["correlationId"], diag["identity"]) == (rec["changeId"], rec["id"])
    props = diag["properties"]
    assert set(props["servicePrincipal"]) == {"Id", "Name"}
    assert props["initiatedBy"]["Type"] == "system"
    assert props["provisioningStatusInfo"]["Status"] == "skipped"
    assert props["statusInfo"] == {"Status": 2}
    assert all(isinstance(s["provisioningStepType"], int) for s in props["provisioningSteps"])
    assert props["provisioningSteps"][-1]["status"] == 2
    durations = {type(to_diagnostic(r)["durationMs"]) for r in records[:200]}
    assert durations == {int, str}


def test_log_analytics_row_keeps_complex_columns_as_json_text(records):
    rec = _first(records, "failure")
    row = to_log_analytics(rec)
    assert row["TenantId"] == WORKSPACE_ID != rec["tenantId"] == row["AADTenantId"]
    assert (row["SourceSystem"], row["Type"]) == ("Azure", "AADProvisioningLogs")
    assert row["ResultType"] == "Failure"
    assert row["ResultSignature"] == rec["provisioningStatusInfo"]["errorInformation"]["errorCode"]
    for column in ("ServicePrincipal", "SourceIdentity", "TargetIdentity", "TargetSystem",
                   "InitiatedBy", "ProvisioningStatusInfo", "ProvisioningSteps",
                   "ModifiedProperties"):  # fmt: skip
        assert isinstance(row[column], str)
        json.loads(row[column])
    assert json.loads(row["ServicePrincipal"])["Id"] == rec["servicePrincipal"]["id"]
    steps = json.loads(row["ProvisioningSteps"])
    assert steps[-1]["status"] == 1 and isinstance(steps[0]["provisioningStepType"], int)
    assert to_log_analytics(_first(records, "success"))["ResultSignature"] == ""


@pytest.mark.parametrize(
    ("status", "result"), [("skipped", "Skipped"), ("success", "Success"), ("failure", "Failure")]
)
def test_on_demand_key_and_value_are_json_strings(records, status, result):
    rec = _first(records, status)
    response = to_on_demand(rec)
    verdict, event = json.loads(response["key"]), json.loads(response["value"])
    assert verdict["result"] == result
    if result != "Success":
        assert verdict["details"]["errorCode"]
    assert event["changeId"] == rec["changeId"]
    assert event["action"][0].isupper() and event["startTime"] <= event["endTime"]
    assert all({"type", "timestamp"} <= set(s) for s in event["provisioningSteps"])
    assert event["provisioningSteps"][-1]["timestamp"] == event["endTime"]
    assert {"id", "type", "displayName", "details"} == set(event["sourceIdentity"])
    assert event["targetSystem"]["name"] == rec["targetSystem"]["displayName"]
    assert to_on_demand(rec, empty_value=True)["value"] == "{}"


def test_portal_csv_rows_use_the_documented_headers(records):
    event, steps, props = to_portal_csv_rows(_first(records, "failure"))
    assert tuple(event) == PORTAL_EVENT_HEADERS
    assert all(tuple(s) == PORTAL_STEP_HEADERS for s in steps)
    assert all(tuple(p) == PORTAL_PROPERTY_HEADERS for p in props)
    assert [s["Step Number"] for s in steps] == [str(i) for i in range(1, len(steps) + 1)]
    assert all(isinstance(json.loads(s["Details"]), dict) for s in steps)
    assert event["Status"] == "Failure" and event["Error Code"] in ERROR_CODES
    assert to_portal_csv_rows(_first(records, "success"))[0]["Error Code"] == ""


def test_job_lists_cover_active_quarantined_and_paused():
    jobs = {key: generate_jobs(key)["value"][0] for key in ("salesforce", "customappsso")}
    active, quarantined = jobs["salesforce"], jobs["customappsso"]
    assert active["status"]["code"] == "Active"
    assert active["status"]["synchronizedEntryCountByType"][0]["value"] > 0
    assert quarantined["status"]["code"] == "Quarantine"
    assert quarantined["status"]["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert quarantined["status"]["steadyStateLastAchievedTime"] == "0001-01-01T00:00:00Z"
    assert generate_jobs("servicenow")["value"][0]["schedule"]["state"] == "Paused"


def _read_csv(path: Path) -> list[dict]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_committed_portal_csv_triple_joins_on_change_id():
    events = _read_csv(SAMPLES / "portal" / "ProvisioningLogs.csv")
    steps = _read_csv(SAMPLES / "portal" / "ProvisioningLogs_ProvisioningSteps.csv")
    props = _read_csv(SAMPLES / "portal" / "ProvisioningLogs_ModifiedProperties.csv")
    changes = {e["Change Id"] for e in events}
    assert len(changes) == len(events)
    assert {s["Change Id"] for s in steps} == changes  # every event has steps, no orphans
    assert {p["Change Id"] for p in props} <= changes


def test_committed_samples_overlap_only_where_intended():
    graph_ids = set()
    for page in sorted((SAMPLES / "graph-v1").glob("*.json")):
        graph_ids |= {r["id"] for r in json.loads(page.read_text("utf-8"))["value"]}
    portal = json.loads((SAMPLES / "portal" / "ProvisioningLogs.json").read_text("utf-8"))
    assert len({r["id"] for r in portal} & graph_ids) == 20
    with gzip.open(SAMPLES / "ndjson" / "provisioning.ndjson.gz", "rt", encoding="utf-8") as f:
        assert not {json.loads(line)["id"] for line in f} & graph_ids


def _contents(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data  # zlib builds may differ


def test_committed_samples_match_the_generator(tmp_path):
    write_samples(tmp_path)
    fresh = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file()}
    assert fresh == committed, "run: python -m provlytics.synthetic data/samples"
    for rel in sorted(fresh):
        assert _contents(SAMPLES / rel) == _contents(tmp_path / rel), rel


def test_la_csv_parses_back_to_rows():
    text = (SAMPLES / "log-analytics" / "AADProvisioningLogs.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows and all(json.loads(r["ProvisioningSteps"]) for r in rows)
    assert {r["SourceSystem"] for r in rows} == {"Azure"}
