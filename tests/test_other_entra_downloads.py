"""Entra downloads that are not provisioning logs (the portal's audit-log and sign-in-log CSV
files), given to a load by mistake or lying in the same Downloads folder."""

from __future__ import annotations

import csv
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
