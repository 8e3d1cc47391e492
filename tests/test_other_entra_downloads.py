"""Entra downloads that are not provisioning logs (the portal's audit-log and sign-in-log CSV
files), given to a load by mistake or lying in the same Downloads folder."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import shutil
import zipfile
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.cli import main
from provlytics.errors import InputError

PORTAL = Path(__file__).resolve().parent.parent / "data" / "samples" / "portal"

# the header row of the admin center's Audit logs > Download (CSV), as it writes it
AUDIT_HEADERS = [
    "Date (UTC)", "CorrelationId", "Service", "Category", "Activity", "Result", "ResultReason",
    "User Agent", "ActorType", "ActorDisplayName", "ActorObjectId", "ActorUserPrincipalName",
    "IPAddress", "ActorHomeTenantId", "ActorHomeTenantName", "ActorServicePrincipalId",
    "ActorServicePrincipalName",
    *(
        field
        for target in (1, 2, 3)
        for field in (
            f"Target{target}Type", f"Target{target}DisplayName", f"Target{target}ObjectId",
            f"Target{target}UserPrincipalName",
            *(
                f"Target{target}ModifiedProperty{n}{part}"
                for n in range(1, 6)
                for part in ("Name", "OldValue", "NewValue")
            ),
        )
    ),
    *(f"AdditionalDetail{n}{part}" for n in range(1, 7) for part in ("Key", "Value")),
]  # fmt: skip
AUDIT_ROW = {
    "Date (UTC)": "2026-11-30T10:00:00.1234567Z",
    "CorrelationId": "6f1d5b6a-1f7e-4d2e-9a4b-3c2d1e0f9a8b",
    "Service": "Account Provisioning",
    "Category": "ProvisioningManagement",
    "Activity": "Update synchronization job",
    "Result": "success",
    "ActorType": "User",
    "ActorDisplayName": "Emma Brown",
    "ActorUserPrincipalName": "emma.brown@contoso.com",
    "IPAddress": "203.0.113.7",
    "Target1Type": "ServicePrincipal",
    "Target1DisplayName": "Slack",
}
# the header row of Sign-in logs > Download (CSV), interactive sign-ins
SIGN_IN_HEADERS = [
    "Date (UTC)", "Request ID", "User agent", "Correlation ID", "User ID", "User", "Username",
    "User type", "Cross tenant access type", "Incoming token type", "Authentication Protocol",
    "Unique token identifier", "Original transfer method", "Client credential type",
    "Token Protection - Sign In Session", "Token Protection - Sign In Session StatusCode",
    "Application", "Application ID ", "Resource", "Resource ID ", "Resource tenant ID",
    "Home tenant ID", "Home tenant name", "IP address", "Location", "Status",
    "Sign-in error code", "Failure reason", "Client app", "Device ID", "Browser",
    "Operating System", "Compliant", "Managed", "Join Type",
    "Multifactor authentication result", "Multifactor authentication auth method",
    "Multifactor authentication auth detail", "Authentication requirement",
    "Sign-in identifier", "Session ID", "IP address (seen by resource)",
]  # fmt: skip
SIGN_IN_ROW = {
    "Date (UTC)": "2026-11-30T09:12:44Z",
    "Request ID": "0d1c9e52-7a43-4b9f-9d6e-5c2b1a0f3e21",
    "User": "Emma Brown",
    "Username": "emma.brown@contoso.com",
    "Application": "Microsoft Teams",
    "Status": "Success",
    "Sign-in error code": "0",
}
PORTAL_EVENTS = 80


def write_download(path: Path, headers: list[str], row: dict[str, str]) -> Path:
    """A portal download as the admin center writes it: UTF-8 with a BOM, every cell quoted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(headers)
        writer.writerow([row.get(h, "") for h in headers])
        writer.writerow([row.get(h, "") for h in headers])
    return path


def audit(folder: Path) -> Path:
    return write_download(folder / "AuditLogs_2026-12-01.csv", AUDIT_HEADERS, AUDIT_ROW)


def sign_ins(folder: Path) -> Path:
    path = folder / "InteractiveSignIns_2026-11-30_2026-12-01.csv"
    return write_download(path, SIGN_IN_HEADERS, SIGN_IN_ROW)


# Log Analytics' CSV exports of its AuditLogs and SigninLogs tables (an Id and a TimeGenerated,
# as its AADProvisioningLogs export has)
LA_AUDIT_HEADERS = [
    "TenantId", "SourceSystem", "TimeGenerated [UTC]", "ResourceId", "OperationName",
    "OperationVersion", "Category", "ResultType", "ResultSignature", "ResultDescription",
    "DurationMs", "CorrelationId", "Resource", "ResourceGroup", "ResourceProvider", "Identity",
    "Level", "Location", "AdditionalDetails", "Id", "InitiatedBy", "LoggedByService", "Result",
    "ResultReason", "TargetResources", "AADTenantId", "ActivityDisplayName",
    "ActivityDateTime [UTC]", "AADOperationType", "Type",
]  # fmt: skip
LA_SIGN_IN_HEADERS = [
    "TenantId", "SourceSystem", "TimeGenerated [UTC]", "ResourceId", "OperationName",
    "OperationVersion", "Category", "ResultType", "ResultSignature", "ResultDescription",
    "DurationMs", "CorrelationId", "Resource", "ResourceGroup", "ResourceProvider", "Identity",
    "Level", "Location", "AppDisplayName", "AppId", "AuthenticationDetails", "ClientAppUsed",
    "ConditionalAccessPolicies", "ConditionalAccessStatus", "CreatedDateTime [UTC]", "Id",
    "IPAddress", "IsInteractive", "ResourceDisplayName", "Status", "UserDisplayName", "UserId",
    "UserPrincipalName", "Type",
]  # fmt: skip
LA_ROW = {
    "TenantId": "t1",
    "TimeGenerated [UTC]": "11/30/2026, 10:00:00.123 AM",
    "Id": "Directory_6f1d5b6a_X",
    "OperationName": "Update user",
}


def la_audit(folder: Path) -> Path:
    return write_download(folder / "query_data.csv", LA_AUDIT_HEADERS, LA_ROW)


def la_sign_ins(folder: Path) -> Path:
    return write_download(folder / "query_data (1).csv", LA_SIGN_IN_HEADERS, LA_ROW)


AUDIT_LOOKS = "looks like an Entra audit log export (headers Activity, ActorType, Target1Type)"
SIGN_IN_LOOKS = (
    "looks like an Entra sign-in log export (headers Request ID, Sign-in error code, "
    "Failure reason)"
)
LA_AUDIT_LOOKS = (
    "looks like an Entra audit log export (headers LoggedByService, ActivityDisplayName)"
)
LA_SIGN_IN_LOOKS = (
    "looks like an Entra sign-in log export (headers AppDisplayName, ClientAppUsed, "
    "ConditionalAccessStatus)"
)
ADVICE = (
    "load provisioning logs (the portal's Provisioning logs > Download, or AADProvisioningLogs)"
)


@pytest.mark.parametrize(
    ("write", "looks"),
    [
        (audit, AUDIT_LOOKS),
        (sign_ins, SIGN_IN_LOOKS),
        (la_audit, LA_AUDIT_LOOKS),
        (la_sign_ins, LA_SIGN_IN_LOOKS),
    ],
)
def test_a_download_of_other_logs_alone_says_what_it_is(tmp_path, write, looks):
    path = write(tmp_path)
    for given in (path, tmp_path):
        with pytest.raises(InputError) as info:
            pv.load(given)
        assert str(info.value) == f"{path}: no provisioning data: it {looks}; {ADVICE}"


def test_several_downloads_of_other_logs_are_each_named(tmp_path):
    paths = audit(tmp_path), sign_ins(tmp_path)
    with pytest.raises(InputError) as info:
        pv.load(tmp_path)
    assert str(info.value) == (
        f"{tmp_path}: no provisioning data: {paths[0]} {AUDIT_LOOKS}; "
        f"{paths[1]} {SIGN_IN_LOOKS}; {ADVICE}"
    )


def test_beside_provisioning_logs_they_are_skipped_with_a_warning(tmp_path, caplog):
    for source in sorted(PORTAL.glob("ProvisioningLogs*.csv")):
        shutil.copyfile(source, tmp_path / source.name)
    paths = audit(tmp_path), sign_ins(tmp_path)
    with caplog.at_level(logging.WARNING):
        frames = pv.load(tmp_path)
    assert frames.counts()["events"] == PORTAL_EVENTS
    assert frames.counts()["modified_properties"] == 195
    assert frames.sources == [str(tmp_path / "ProvisioningLogs.csv")]
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == [
        f"skipping {paths[0]}: it {AUDIT_LOOKS}, not provisioning logs",
        f"skipping {paths[1]}: it {SIGN_IN_LOOKS}, not provisioning logs",
    ]


def test_in_an_archive_with_provisioning_logs(tmp_path, caplog):
    page = PORTAL.parent / "graph-v1" / "provisioning-page-001.json"
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.write(page, "page.json")
        packed.write(audit(tmp_path / "raw"), "AuditLogs.csv")
    with caplog.at_level(logging.WARNING):
        frames = pv.load(archive)
    assert frames.counts()["events"] == pv.load(page).counts()["events"]
    assert f"skipping {archive}!AuditLogs.csv: it {AUDIT_LOOKS}" in caplog.text


def test_the_command_line_says_so_without_a_traceback(tmp_path, runner, caplog):
    path = audit(tmp_path / "dl")
    out = str(tmp_path / "out")
    result = runner.invoke(main, ["load", str(path), "--out", out])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: no provisioning data: it {AUDIT_LOOKS}; {ADVICE}\n"
    assert "Traceback" not in result.output

    for source in sorted(PORTAL.glob("ProvisioningLogs*.csv")):
        shutil.copyfile(source, tmp_path / "dl" / source.name)
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(main, ["load", str(tmp_path / "dl"), "--out", out])
    assert result.exit_code == 0, result.output
    assert f"skipping {path}: it {AUDIT_LOOKS}, not provisioning logs" in caplog.text
    assert pv.read_parquet(out).counts()["events"] == PORTAL_EVENTS


# Entra audit and sign-in logs saved as JSON: Graph's pages of `GET /auditLogs/directoryAudits`
# and `/auditLogs/signIns`, bare lists and JSON lines of their records (shaped as the Graph
# docs' directoryAudit and signIn resources and list examples show them)
GRAPH = "https://graph.microsoft.com/v1.0/$metadata#auditLogs"
DIRECTORY_AUDIT = {
    "id": "Directory_ce6f7e2e-7d3a-4e77-9a60-3a6f5b37c6a1_0PGWB_171231187",
    "category": "ApplicationManagement",
    "correlationId": "ce6f7e2e-7d3a-4e77-9a60-3a6f5b37c6a1",
    "result": "success",
    "resultReason": "",
    "activityDisplayName": "Update synchronization job",
    "activityDateTime": "2026-11-30T10:00:00.1234567Z",
    "loggedByService": "Account Provisioning",
    "operationType": "Update",
    "initiatedBy": {
        "app": None,
        "user": {
            "id": "728309ef-9f04-4b45-b6a5-1d84b7f7b0c5",
            "displayName": None,
            "userPrincipalName": "emma.brown@contoso.com",
            "ipAddress": "203.0.113.7",
        },
    },
    "targetResources": [
        {"id": "ef7e527d-6c92-4234-8c6d-cf6fdfb57f95", "displayName": "Slack",
         "type": "ServicePrincipal", "userPrincipalName": None, "modifiedProperties": []},
    ],
    "additionalDetails": [],
}  # fmt: skip
SIGN_IN = {
    "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
    "createdDateTime": "2026-11-30T09:12:44Z",
    "userDisplayName": "Emma Brown",
    "userPrincipalName": "emma.brown@contoso.com",
    "userId": "26be570a-ae82-4189-b4e2-a37c6808512d",
    "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
    "appDisplayName": "Graph Explorer",
    "ipAddress": "203.0.113.7",
    "clientAppUsed": "Browser",
    "correlationId": "d79f5bee-5860-4832-928f-3133e22ae912",
    "conditionalAccessStatus": "notApplied",
    "isInteractive": True,
    "status": {"errorCode": 0, "failureReason": None, "additionalDetails": None},
}
JSON_AUDIT_FIELDS = "fields activityDisplayName, category, loggedByService, operationType"
JSON_SIGN_IN_FIELDS = "fields userPrincipalName, appDisplayName, createdDateTime, status, ..."


def graph_page(kind: str, records: list[dict]) -> dict:
    return {"@odata.context": f"{GRAPH}/{kind}", "value": records}


def pascal(record: dict) -> dict:
    """A record as PowerShell's `Get-MgAuditLog...` and `ConvertTo-Json` write it."""
    return {key[0].upper() + key[1:]: value for key, value in record.items()}


def write_json(
    path: Path, document: object, *, lines: bool = False, encoding: str = "utf-8"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if lines:
        path.write_text("".join(json.dumps(record) + "\n" for record in document))
    else:  # "utf-16": with a byte-order mark, as Windows PowerShell 5.1's `>` writes
        path.write_text(json.dumps(document, indent=4), encoding=encoding)
    return path


def looks(what: str, told: str) -> str:
    return f"looks like an Entra {what} log export ({told})"


JSON_EXPORTS = [
    pytest.param(
        "audit.json", graph_page("directoryAudits", [DIRECTORY_AUDIT] * 3), False,
        looks("audit", f"@odata.context {GRAPH}/directoryAudits"), id="audit-page",
    ),
    pytest.param(
        "signins.json", graph_page("signIns", [SIGN_IN] * 3), False,
        looks("sign-in", f"@odata.context {GRAPH}/signIns"), id="sign-in-page",
    ),
    pytest.param(
        "audit-empty.json", graph_page("directoryAudits", []), False,
        looks("audit", f"@odata.context {GRAPH}/directoryAudits"), id="empty-audit-page",
    ),
    pytest.param(
        "page.json", {"value": [DIRECTORY_AUDIT]}, False, looks("audit", JSON_AUDIT_FIELDS),
        id="audit-page-without-context",
    ),
    pytest.param(
        "audit-list.json", [DIRECTORY_AUDIT] * 2, False, looks("audit", JSON_AUDIT_FIELDS),
        id="audit-list",
    ),
    pytest.param(
        "signins-list.json", [SIGN_IN] * 2, False, looks("sign-in", JSON_SIGN_IN_FIELDS),
        id="sign-in-list",
    ),
    pytest.param(
        "signins.jsonl", [SIGN_IN] * 2, True, looks("sign-in", JSON_SIGN_IN_FIELDS),
        id="sign-in-json-lines",
    ),
    pytest.param(
        "audit-pwsh.json", [pascal(DIRECTORY_AUDIT)], False,
        looks("audit", "fields ActivityDisplayName, Category, LoggedByService, OperationType"),
        id="audit-powershell",
    ),
    pytest.param(
        "audit.jsonl", [DIRECTORY_AUDIT] * 2, True, looks("audit", JSON_AUDIT_FIELDS),
        id="audit-json-lines",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "document", "lines", "looks_like"), JSON_EXPORTS)
def test_json_of_other_logs_alone_says_what_it_is(tmp_path, name, document, lines, looks_like):
    path = write_json(tmp_path / name, document, lines=lines)
    with pytest.raises(InputError) as info:
        pv.load(path)
    assert str(info.value) == f"{path}: no provisioning data: it {looks_like}; {ADVICE}"


@pytest.mark.parametrize(("name", "document", "lines", "looks_like"), JSON_EXPORTS)
def test_json_of_other_logs_beside_provisioning_logs_is_skipped_with_a_load_warning(
    tmp_path, name, document, lines, looks_like
):
    page = PORTAL.parent / "graph-v1" / "provisioning-page-001.json"
    shutil.copyfile(page, tmp_path / page.name)
    path = write_json(tmp_path / name, document, lines=lines)
    with pytest.warns(pv.LoadWarning) as warned:
        frames = pv.load(tmp_path)
    assert [str(w.message) for w in warned] == [
        f"skipping {path}: it {looks_like}, not provisioning logs"
    ]
    assert frames.sources == [str(tmp_path / page.name)]
    assert frames.counts() == pv.load(page).counts()  # no empty events of the audit records


def test_utf16_as_windows_powershell_writes_it(tmp_path):
    path = write_json(tmp_path / "signins.json", [pascal(SIGN_IN)], encoding="utf-16")
    assert path.read_bytes()[:2] == b"\xff\xfe"
    with pytest.raises(InputError) as info:
        pv.load(path)
    fields = "fields UserPrincipalName, AppDisplayName, CreatedDateTime, Status, ..."
    told = looks("sign-in", fields)
    assert str(info.value) == f"{path}: no provisioning data: it {told}; {ADVICE}"


def test_a_long_page_is_told_by_its_head(tmp_path):
    """A page far longer than the head read (its first record too), gzipped, in an archive."""
    detailed = {**DIRECTORY_AUDIT, "additionalDetails": [
        {"key": f"detail{n}", "value": "x" * 100} for n in range(400)
    ]}  # fmt: skip
    document = {"value": [detailed] * 100, "@odata.nextLink": f"{GRAPH}/directoryAudits?$skip=1"}
    raw = json.dumps(document).encode()
    assert len(raw) > 2**22 and len(json.dumps(detailed)) > 32 * 2**10
    archive = tmp_path / "saved.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("audit.json.gz", gzip.compress(raw))
    with pytest.raises(InputError) as info:
        pv.load(archive)
    told = looks("audit", JSON_AUDIT_FIELDS)
    assert str(info.value) == f"{archive}!audit.json.gz: no provisioning data: it {told}; {ADVICE}"


def test_provisioning_logs_that_mention_the_fields_are_not_told(tmp_path):
    """Provisioning records are read as ever, whatever their values hold: only the fields
    of the first record tell (and a page's own @odata.context)."""
    page = json.loads((PORTAL.parent / "graph-v1" / "provisioning-page-001.json").read_text())
    page["value"][0]["extraNote"] = {"activityDisplayName": "x", "loggedByService": "y"}
    page["value"][0]["servicePrincipal"]["displayName"] = "#auditLogs/directoryAudits"
    path = write_json(tmp_path / "page.json", page)
    assert pv.load(path).counts()["events"] == len(page["value"])


def test_the_command_line_skips_json_of_other_logs(tmp_path, runner, caplog):
    audit_page = write_json(tmp_path / "dl" / "audit.json", graph_page("directoryAudits", []))
    out = str(tmp_path / "out")
    result = runner.invoke(main, ["load", str(audit_page), "--out", out])
    assert result.exit_code == 1
    told = looks("audit", f"@odata.context {GRAPH}/directoryAudits")
    assert result.output == f"Error: {audit_page}: no provisioning data: it {told}; {ADVICE}\n"

    page = PORTAL.parent / "graph-v1" / "provisioning-page-001.json"
    shutil.copyfile(page, tmp_path / "dl" / page.name)
    with caplog.at_level(logging.WARNING):
        result = runner.invoke(main, ["load", str(tmp_path / "dl"), "--out", out])
    assert result.exit_code == 0, result.output
    assert f"skipping {audit_page}: it {told}, not provisioning logs" in caplog.text
    assert pv.read_parquet(out).counts()["events"] == pv.load(page).counts()["events"]
