"""Diagnostic exports of a setting that also sends other Entra logs: the records whose
`category` is not `ProvisioningLogs` (`AuditLogs`, `SignInLogs`, ...) are set aside, not
loaded as events, with one warning per file counting them by category."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from table_rows import rows_of

import provlytics as pv
from provlytics.cli import main
from provlytics.normalize import diagnostic_fast
from provlytics.normalize.batch import normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page, Place

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "diagnostic"
BLOB = next(SAMPLES.rglob("PT1H.json"))
HUB = SAMPLES / "eventhub-batch.json"
TENANT = "f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"
RESOURCE = f"/tenants/{TENANT}/providers/Microsoft.aadiam"

# an audit record and a sign-in record as a diagnostic setting writes them (Azure Monitor's
# common envelope around the Graph resource, as the Entra docs show them)
AUDIT = {
    "time": "2026-11-18T09:02:15.5522137Z",
    "resourceId": RESOURCE,
    "operationName": "Add member to group",
    "operationVersion": "1.0",
    "category": "AuditLogs",
    "tenantId": TENANT,
    "resultSignature": "None",
    "durationMs": 0,
    "callerIpAddress": "<null>",
    "correlationId": "6f1d5b6a-1f7e-4d2e-9a4b-3c2d1e0f9a8b",
    "identity": "Microsoft Approval Management",
    "Level": 4,
    "properties": {
        "id": "Directory_0LPAH_24556929",
        "category": "GroupManagement",
        "correlationId": "6f1d5b6a-1f7e-4d2e-9a4b-3c2d1e0f9a8b",
        "result": "success",
        "resultReason": "",
        "activityDisplayName": "Add member to group",
        "activityDateTime": "2026-11-18T09:02:15.5522137+00:00",
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "initiatedBy": {"app": {"displayName": "Microsoft Approval Management"}},
        "targetResources": [{"id": "1f0e98f5", "displayName": "Sales", "type": "Group"}],
        "additionalDetails": [],
    },
}
SIGN_IN = {
    "time": "2026-11-18T09:03:44.1200000Z",
    "resourceId": RESOURCE,
    "operationName": "Sign-in activity",
    "operationVersion": "1.0",
    "category": "SignInLogs",
    "tenantId": TENANT,
    "resultType": "0",
    "resultSignature": "None",
    "resultDescription": "",
    "durationMs": 0,
    "callerIpAddress": "203.0.113.7",
    "correlationId": "0d1c9e52-7a43-4b9f-9d6e-5c2b1a0f3e21",
    "identity": "Emma Brown",
    "Level": 4,
    "location": "NL",
    "properties": {
        "id": "0d1c9e52-7a43-4b9f-9d6e-5c2b1a0f3e21",
        "createdDateTime": "2026-11-18T09:03:44.1200000+00:00",
        "userDisplayName": "Emma Brown",
        "userPrincipalName": "emma.brown@contoso.com",
        "appDisplayName": "Microsoft Teams",
        "ipAddress": "203.0.113.7",
        "status": {"errorCode": 0},
    },
}
WARNED = "{}: 3 records of category AuditLogs and 1 of SignInLogs skipped: not provisioning logs"


def provisioning(source: Path = BLOB) -> list[dict[str, Any]]:
    if source == HUB:
        return orjson.loads(HUB.read_bytes())["records"]
    return [orjson.loads(line) for line in source.read_bytes().splitlines()]


def mixed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Three audit records and a sign-in record among `records`: first, inside, last."""
    audit = [_other(AUDIT, n) for n in range(3)]
    return [audit[0], *records[:10], SIGN_IN, audit[1], *records[10:], audit[2]]


def _other(record: dict[str, Any], n: int) -> dict[str, Any]:
    record = copy.deepcopy(record)
    record["properties"]["id"] += f"-{n}"
    return record


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def write_hub(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"records": records}, option=orjson.OPT_INDENT_2))
    return path


def warned_of(warned: pytest.WarningsRecorder) -> list[str]:
    return [str(w.message) for w in warned if issubclass(w.category, pv.LoadWarning)]


@pytest.mark.parametrize(("source", "write"), [(BLOB, write_lines), (HUB, write_hub)])
def test_records_of_other_logs_are_set_aside_with_one_warning(tmp_path, source, write):
    path = write(tmp_path / "y=2026" / source.name, mixed(provisioning(source)))
    with pytest.warns(pv.LoadWarning) as warned:
        frames = pv.load(path)
    assert warned_of(warned) == [WARNED.format(path)]
    expected = pv.load(source)
    assert frames.counts() == expected.counts()
    assert frames.records_read == len(provisioning(source))
    assert sorted(frames.events["event_id"]) == sorted(expected.events["event_id"])


def test_both_paths_give_the_same_rows_and_counts(tmp_path):
    records = mixed(provisioning())
    text = "[" + ",".join(orjson.dumps(r).decode() for r in records) + "]"
    assert diagnostic_fast.tables_from_json(text) is None  # other logs: the general path's
    lines = [orjson.dumps(r).decode() for r in records]
    origin = Origin("PT1H.json", place=Place.FILE)
    page = Page(origin, Container.JSON_LINES, data=lines, lines=list(range(1, len(lines) + 1)))
    general = normalize_page(Page(origin, Container.JSON_LINES, records=copy.deepcopy(records)))
    hub = Page(origin, Container.EVENT_HUB_BATCH, data=orjson.dumps(records))
    assert rows_of(normalize(page)) == rows_of(general) == rows_of(normalize(hub))
    assert general.other_logs == {"AuditLogs": 3, "SignInLogs": 1}
    assert general.records == len(records) - 4
    # the provisioning records alone, on the fast path, give the same rows (record numbers
    # aside: the records set aside were counted in the page)
    alone = diagnostic_fast.tables_from_json(orjson.dumps(provisioning()))
    assert alone is not None
    assert alone.batches == general.batches


def test_a_file_of_other_logs_only_is_skipped_as_a_file_of_other_logs(tmp_path):
    write_lines(tmp_path / "prov" / "PT1H.json", provisioning())
    others = write_lines(tmp_path / "audit" / "PT1H.json", [_other(AUDIT, n) for n in range(2)])
    with pytest.warns(pv.LoadWarning) as warned:
        frames = pv.load(tmp_path)
    assert warned_of(warned) == [
        f"skipping {others}: it holds 2 records of category AuditLogs, not provisioning logs"
    ]
    assert frames.counts() == pv.load(BLOB).counts()


def test_a_file_of_many_pages_warns_once(tmp_path):
    """1,500 audit records (two pages of the file source) and the blob's records."""
    audit = [_other(AUDIT, n) for n in range(1500)]
    path = write_lines(tmp_path / "PT1H.json", [*audit, *provisioning(), SIGN_IN])
    with pytest.warns(pv.LoadWarning) as warned:
        frames = pv.load(path)
    assert warned_of(warned) == [
        f"{path}: 1500 records of category AuditLogs and 1 of SignInLogs skipped: "
        "not provisioning logs"
    ]
    assert frames.counts() == pv.load(BLOB).counts()


def test_records_without_a_category_are_read_as_before(tmp_path):
    records = provisioning()[:3]
    for record in records[:2]:
        del record["category"]
    records[2]["category"] = "provisioningLogs"  # its case aside, ours
    path = write_lines(tmp_path / "PT1H.json", records)
    frames = pv.load(path)
    assert len(frames.events) == 3
    assert frames.records_read == 3


def test_the_command_line_loads_the_provisioning_records_and_says_what_it_skipped(
    tmp_path, runner, caplog
):
    blob = write_lines(tmp_path / "in" / "PT1H.json", mixed(provisioning()))
    hub = write_hub(tmp_path / "in" / "hub.json", mixed(provisioning(HUB)))
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(main, ["load", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert WARNED.format(blob) in caplog.text
    assert WARNED.format(hub) in caplog.text
    assert caplog.text.count("skipped: not provisioning logs") == 2
    expected = pv.load([BLOB, HUB]).counts()
    assert pv.read_parquet(out).counts()["events"] == expected["events"]
    read = len(provisioning()) + len(provisioning(HUB))
    assert f"Read {read} records;" in result.output


def test_worker_processes_warn_as_a_load_without_them(tmp_path):
    """Real worker processes: the warning of a file read in one is said once, here."""
    blob = write_lines(tmp_path / "a" / "PT1H.json", mixed(provisioning()))
    hub = write_hub(tmp_path / "b" / "hub.json", mixed(provisioning(HUB)))
    said = []
    for workers in (0, 2):
        with pytest.warns(pv.LoadWarning) as warned:
            frames = pv.load(tmp_path, workers=workers)
        said.append((warned_of(warned), frames.counts()))
    assert said[0] == said[1]
    assert said[0][0] == [WARNED.format(blob), WARNED.format(hub)]


def test_the_command_line_given_only_other_logs_says_so_without_a_traceback(
    tmp_path, runner, caplog
):
    path = write_hub(tmp_path / "in" / "hub.json", [_other(AUDIT, 0), SIGN_IN])
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(main, ["load", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith(f"Error: {path}: no provisioning data")
    assert (
        f"skipping {path}: it holds 1 record of category AuditLogs and 1 of SignInLogs, "
        "not provisioning logs"
    ) in caplog.text
