"""A small hand-built world for the analysis tests: eight Graph v1.0 records written as a
page and loaded with `pv.load`, so the tables come from the real normalizer.

| id | time (2026-11-18) | job | app        | action | status  | code                  | who      |
|----|-------------------|-----|------------|--------|---------|-----------------------|----------|
| e1 | 10:00             | A   | Slack      | create | failure | EntryConflict         | s1 alice |
| e2 | 10:30             | A   | Slack      | create | failure | SlackEntryConflict    | s1 alice |
| e3 | 11:15             | A   | Slack      | update | warning | UnableToResolve...    | s2 bob   |
| e4 | 12:05             | B   | Salesforce | update | failure | DuplicateTarget...    | carol *  |
| e5 | 12:10             | B   | Salesforce | create | success |                       | s2 bob   |
| e6 | 13:00             | B   | Salesforce | other  | skipped | (RedundantExport)     | s1 alice |
| e7 | 13:20             | A   | Slack      | other  | skipped | (AttributeValidation) | g1 group |
| e8 | 14:40             | B   | Salesforce | update | failure | SCIM...BadResponse    | s5 dave  |

(* carol has no source id: she is known by her UPN.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import payloads as p
import pyarrow as pa

import provlytics as pv
from provlytics.schema import SCHEMAS

DAY = "2026-11-18"
JOB_A, JOB_B = "scim.A", "salesforce.B"
SP = {"Slack": "sp-slack-0001", "Salesforce": "SP-SALESFORCE-0002"}
BAD_RESPONSE = "SystemForCrossDomainIdentityManagementBadResponse"
REFERENCE = "UnableToResolveReferenceAttributeValue"
DUPLICATE_REASON = (
    "The operation failed because more than one user in Salesforce matched the matching "
    "attribute 'email' with value 'carol@contoso.com'."
)


def step(name: str, kind: str, status: str, description: str = "", **details: str) -> dict:
    return {
        "name": name,
        "provisioningStepType": kind,
        "status": status,
        "description": description or f"{name} {status}",
        "details": details,
    }


def record(
    event_id: str,
    hhmm: str,
    app: str,
    action: str,
    status: str,
    who: tuple[str | None, str, str, str],
    steps: list[dict],
    *,
    code: str | None = None,
    reason: str | None = None,
    duration: int | None = None,
    properties: tuple[tuple[str, str | None, str | None], ...] = (),
) -> dict[str, Any]:
    """One v1.0 record; `who` is (source id, display name, identity type, UPN)."""
    source_id, name, kind, upn = who
    job = JOB_A if app == "Slack" else JOB_B
    error = None
    if code:
        error = {"errorCode": code, "errorCategory": "failure", "reason": reason or code,
                 "additionalDetails": None, "recommendedAction": f"fix {code}"}  # fmt: skip
    for s in steps:
        s["details"].setdefault("ReportableIdentifier", upn)
    return {
        "id": event_id,
        "activityDateTime": f"{DAY}T{hhmm}:00Z",
        "tenantId": "tenant-1",
        "jobId": job,
        "cycleId": f"cycle-{job}-{hhmm[:2]}",
        "changeId": f"change-{event_id}",
        "provisioningAction": action,
        "provisioningStatusInfo": {"status": status, "errorInformation": error},
        "durationInMilliseconds": duration,
        "servicePrincipal": {"id": SP[app], "displayName": app},
        "sourceSystem": {"id": "src", "displayName": "Microsoft Entra ID", "details": {}},
        "targetSystem": {"id": f"t-{app}", "displayName": app, "details": {}},
        "sourceIdentity": {
            "id": source_id,
            "displayName": name,
            "identityType": kind,
            "details": {},
        },
        "targetIdentity": {"id": None, "displayName": None, "identityType": None, "details": {}},
        "provisioningSteps": steps,
        "modifiedProperties": [
            {"displayName": n, "oldValue": old, "newValue": new} for n, old, new in properties
        ],
    }


ALICE = ("s1", "Alice", "User", "alice@contoso.com")
BOB = ("s2", "Bob", "user", "bob@contoso.com")
CAROL = (None, "Carol", "User", "carol@contoso.com")
GROUP = ("g1", "Team", "Group", "Team")
DAVE = ("s5", "Dave", "User", "dave@contoso.com")


def records() -> list[dict[str, Any]]:
    imp = ("EntryImport", "import", "success")
    return [
        record("e1", "10:00", "Slack", "create", "failure", ALICE, [
            step(*imp), step("EntrySynchronizationAdd", "matching", "success"),
            step("EntryExportAdd", "export", "failure", "Failed to create User 'alice'"),
        ], code="EntryConflict", reason="409 from Slack", duration=100,
            properties=(("displayName", None, "Alice"), ("mail", None, "alice@contoso.com"))),
        record("e2", "10:30", "Slack", "create", "failure", ALICE, [
            step(*imp), step("EntryExportAdd", "export", "failure"),
        ], code="SlackEntryConflict", reason="409 again", duration=300),
        record("e3", "11:15", "Slack", "update", "warning", BOB, [
            step(*imp), step("EntryReferenceResolution", "referenceResolution", "warning"),
            step("EntryExportUpdate", "export", "success"),
        ], code=REFERENCE, duration=50),
        record("e4", "12:05", "Salesforce", "update", "failure", CAROL, [
            step(*imp), step("EntryImport", "matching", "failure", "Failed to match User"),
        ], code="DuplicateTargetEntries", reason=DUPLICATE_REASON, duration=80),
        record("e5", "12:10", "Salesforce", "create", "success", BOB, [
            step(*imp), step("EntrySynchronizationAdd", "matching", "success"),
            step("EntryExportAdd", "export", "success"),
        ], duration=200, properties=(("department", "Sales", ""),)),
        record("e6", "13:00", "Salesforce", "other", "skipped", ALICE, [
            step(*imp), step("EntrySynchronizationSkip", "export", "skipped",
                             SkipReason="RedundantExport"),
        ], duration=10),
        record("e7", "13:20", "Slack", "other", "skipped", GROUP, [
            step(*imp), step("EntrySynchronizationSkip", "processing", "skipped",
                             SkipReason="AttributeValidationFailed"),
        ], duration=20),
        record("e8", "14:40", "Salesforce", "update", "failure", DAVE, [
            step("EntryImport", "import", "success", employeeId="E42"),
            step("EntryImport", "matching", "failure", MatchingAttribute="employeeId"),
        ], code=BAD_RESPONSE),
    ]  # fmt: skip


def job_status_table() -> pa.Table:
    """Two job snapshots, one per job."""
    rows = [
        {"job_id": JOB_A, "service_principal_id": SP["Slack"], "status_code": "Active"},
        {"job_id": JOB_B, "service_principal_id": SP["Salesforce"], "status_code": "Quarantine"},
    ]
    return pa.Table.from_pylist(rows, SCHEMAS["job_status"])


def world(tmp_path: Path) -> pv.ProvisioningFrames:
    """The eight events, loaded, with the two job snapshots."""
    path = p.write_json(tmp_path / "world" / "page.json", p.graph_page(*records()))
    loaded = pv.load(path)
    tables = {name: loaded.table(name) for name in SCHEMAS}
    tables["job_status"] = job_status_table()
    return pv.ProvisioningFrames(tables, sources=loaded.sources)
