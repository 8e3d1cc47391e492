"""The normalizer: every dialect quirk maps to the exact canonical rows (DESIGN §2, §3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import payloads as p
import pytest

from provlytics.normalize.batch import normalize_page
from provlytics.origin import Container, Origin, Page
from provlytics.schema import SCHEMAS
from provlytics.tables import FramesBuilder, ProvisioningFrames

JSON_COLUMNS = ("extra", "details")


def frames_of(*records: dict[str, Any], hint: Container | None = None) -> ProvisioningFrames:
    """Normalize raw records as one page of a file, the way `load` does."""
    builder = FramesBuilder()
    builder.add(
        normalize_page(
            Page(Origin("page.json"), hint or Container.JSON_LINES, records=list(records))
        )
    )
    return builder.build()


def rows(frames: ProvisioningFrames, table: str) -> list[dict[str, Any]]:
    """A table's rows, with the JSON-text columns parsed so key order does not matter."""
    out = []
    for row in frames.table(table).to_pylist():
        for column in JSON_COLUMNS:
            if row.get(column) is not None:
                row[column] = json.loads(row[column])
        out.append(row)
    return out


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def event(**values: Any) -> dict[str, Any]:
    """An events row: every column null except those given."""
    row = dict.fromkeys(SCHEMAS["events"].names)
    row.update(values)
    return row


def step(event_id, index, name, step_type, status, description, details=None, timestamp=None):
    return {
        "event_id": event_id,
        "step_index": index,
        "name": name,
        "step_type": step_type,
        "status": status,
        "description": description,
        "timestamp": timestamp,
        "details": details,
    }


def props(event_id: str, *triples: tuple[str, str | None, str | None]) -> list[dict]:
    return [
        {"event_id": event_id, "property_index": i, "name": n, "old_value": o, "new_value": v}
        for i, (n, o, v) in enumerate(triples)
    ]


# --- expected rows of the reference payloads -------------------------------------------------

AWS_ID = "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56"
AWS_EVENT = event(
    event_id=AWS_ID,
    activity_time=at(2019, 5, 4, 3, 0, 54),
    tenant_id="74beb175-3b80-7b63-b9d5-6f0b76082b16",
    job_id="aws.74beb1753b704b63b8d56f0b76082b16.10a7a801-7101-4c69-ae00-ce9f75f8460a",
    cycle_id="b6502552-018d-79bd-8869-j47194dc65c1",
    change_id="b6502552-018d-89bd-9969-b49194dc65c1",
    action="create",
    status="success",
    duration_ms=3236,
    service_principal_id="6cc35b93-185a-4485-a519-50c09549g3ad",
    service_principal_name="Contoso",
    source_system_id="d1e090e1-f2f4-4678-be44-6442ffff0621",
    source_system_name="Contoso",
    target_system_id="e69d4bd2-2da2-483e-bc49-aad4080b91b3",
    target_system_name="Azure Active Directory",
    source_id="60a7a801-7101-4c69-ae00-ce9f75f8460a",
    source_type="RolesCompound",
    target_id="6nn35b93-185a-4485-a519-50c09549f3ad",
    target_type="ServicePrincipal",
    initiated_by_name="Azure AD Provisioning Service",
    initiated_by_type="system",
    reportable_identifier="60a7a801-7101-4c69-ae00-ce9f75f8460a",
    dialect="graph.v1",
    extra={
        "targetSystem.details": {
            "ApplicationId": "bcf4d658-ac9f-408d-bf04-e86dc10328fb",
            "ServicePrincipalId": "6nn35b93-185a-4485-a519-50c09549f3ad",
            "ServicePrincipalDisplayName": "Contoso",
        }
    },
)
AWS_STEPS = [
    step(
        AWS_ID,
        0,
        "EntryImport",
        "import",
        "success",
        "Retrieved RolesCompound '10a7a801-7101-4c69-ae00-ce9f75f8460a' from Contoso",
    ),
    step(
        AWS_ID,
        1,
        "EntryExportUpdate",
        "export",
        "success",
        "RolesCompound '60a7a801-7101-4c69-ae00-ce9f75f8460a' was updated in "
        "Azure Active Directory",
        {"ReportableIdentifier": "60a7a801-7101-4c69-ae00-ce9f75f8460a"},
    ),
]
AWS_PROPERTIES = props(
    AWS_ID,
    ("appId", None, "60a7a801-7101-4c69-ae00-ce9f75f8460a"),
    (
        "Roles",
        None,
        "jaws-prod-role2,jaws-prod-saml2, jayaws-role,jayaws-saml, TestRole,super-saml",
    ),
    ("objectId", None, "6nn37b93-185a-4485-a519-50c09549f3ad"),
    ("displayName", None, "Contoso"),
    ("homepage", None, "https://signin.contoso.com/saml?metadata=contoso|ISV9.1|primary|z"),
)

CONFLICT_ID = "gc532ff9-r265-ec76-861e-42e2970a8218"
GROUP_PROPERTIES = props(
    CONFLICT_ID,
    ("objectId", None, "5e0c9eae-ad3d-4139-5ad0-174391d110eb"),
    ("displayName", None, "Self-service Pilot"),
    ("mailEnabled", None, "False"),
    ("mailNickname", None, "5ce25n9a-4c5f-45c9-8362-ef3da29c66c5"),
    ("securityEnabled", None, "True"),
    ("Name", None, "Self-service Pilot"),
)


def conflict_steps(app: str) -> list[dict]:
    return [
        step(
            CONFLICT_ID,
            0,
            "EntryImportAdd",
            "import",
            "success",
            "Received Group 'Self-service Pilot' change of type (Add) from Azure Active Directory",
        ),
        step(
            CONFLICT_ID,
            1,
            "EntrySynchronizationAdd",
            "matching",
            "success",
            f"Group 'Self-service Pilot' will be created in {app} (Group is active and assigned in "
            f"Azure Active Directory, but no matching Group was found in {app})",
        ),
        step(
            CONFLICT_ID,
            2,
            "EntryExportAdd",
            "export",
            "failure",
            f"Failed to create Group 'Self-service Pilot' in {app}",
            {"ReportableIdentifier": "Self-service Pilot"},
        ),
    ]


def conflict_event(app: str, code: str, reason: str, dialect: str, **more: Any) -> dict:
    return event(
        event_id=CONFLICT_ID,
        activity_time=at(2019, 6, 24, 20, 53, 8),
        tenant_id="7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
        job_id=f"{app}OutDelta.7928d5b574424a97ne2d66f9j9972ecn",
        cycle_id="44576n58-v14b-70fj-8404-3d22tt46ed93",
        change_id="eaad2f8b-e6e3-409b-83bd-e4e2e57177d5",
        action="create",
        status="failure",
        error_code=code,
        error_category="nonServiceFailure",
        error_reason=reason,
        duration_ms=2785,
        source_system_id="0404601d-a9c0-4ec7-bbcd-02660120d8c9",
        source_system_name="Azure Active Directory",
        target_system_id="cd22f60b-5f2d-1adg-adb4-76ef31db996b",
        target_system_name=app,
        source_id="5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        source_name="Self-service Pilot",
        source_type="Group",
        target_type="Group",
        initiated_by_name="Azure AD Provisioning Service",
        initiated_by_type="system",
        reportable_identifier="Self-service Pilot",
        dialect=dialect,
        extra={
            "targetSystem.details": {
                "ApplicationId": "f2764360-e0ec-5676-711e-cd6fc0d4dd61",
                "ServicePrincipalId": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
                "ServicePrincipalDisplayName": app,
            }
        },
        **more,
    )


def conflict_error(app: str, code: str, reason: str, *, app_id: str | None = None) -> dict:
    """The errors row of the conflict event; `app_id`: its service principal (named `app`)."""
    return {
        "event_id": CONFLICT_ID,
        "activity_time": at(2019, 6, 24, 20, 53, 8),
        "status": "failure",
        "job_id": f"{app}OutDelta.7928d5b574424a97ne2d66f9j9972ecn",
        "cycle_id": "44576n58-v14b-70fj-8404-3d22tt46ed93",
        "change_id": "eaad2f8b-e6e3-409b-83bd-e4e2e57177d5",
        "action": "create",
        "error_code": code,
        "error_category": "nonServiceFailure",
        "error_reason": reason,
        "error_details": None,
        "recommended_action": None,
        "failed_step_name": "EntryExportAdd",
        "failed_step_type": "export",
        "failed_step_description": f"Failed to create Group 'Self-service Pilot' in {app}",
        "service_principal_id": app_id,
        "service_principal_name": app if app_id else None,
        "source_id": "5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        "source_name": "Self-service Pilot",
        "target_id": None,
        "target_name": None,
        "target_system_name": app,
        "reportable_identifier": "Self-service Pilot",
    }


CONTOSO_SP = "chc46a42-966b-47d7-9774-576b1c8bd0b8"


CONTOSO_EVENT = conflict_event(
    "Contoso",
    "ContosoEntryConflict",
    p.CONTOSO_REASON,
    "graph.v1",
    service_principal_id=CONTOSO_SP,
    service_principal_name="Contoso",
)
BOX_EVENT = conflict_event("Box", "BoxEntryConflict", p.BOX_REASON, "graph.beta.legacy")

LIVE_ID = "a3f2b676-f27c-832e-6757-be2d5ed806ba"
LIVE_GROUP = "ae0c9dc4-faba-477f-952c-423c67237700"
LIVE_EVENT = event(
    event_id=LIVE_ID,
    activity_time=at(2026, 7, 17, 12, 31, 10),
    tenant_id="4b8c18bd-2f9f-4227-af55-9f1061cf9c32",
    job_id="scim.4b8c18bd2f9f4227af559f1061cf9c32.4ba261ce-287a-459c-93eb-7047bab3cfb9",
    cycle_id="b85c7c8e-c3c5-49e0-a57e-a8a6ba9a7595",
    change_id="e228f043-cf65-4929-bc3f-87749ad75644",
    action="other",
    status="skipped",
    skip_reason="RedundantExport",
    duration_ms=630,
    service_principal_id="e7e9d06f-8673-4759-bfed-67d499095d2f",
    service_principal_name="Grafana PS",
    source_system_id="e156568c-b65b-40a1-82ca-8afd5500c140",
    source_system_name="Microsoft Entra ID",
    target_system_id="ed85458d-2a0d-4119-ba5f-bd264973c1af",
    target_system_name="customappsso",
    source_id=LIVE_GROUP,
    source_name="macos-servers-dynamic",
    source_type="Group",
    target_id="ffsdj2g8zwtfkd",
    target_type="urn:ietf:params:scim:schemas:core:2.0:Group",
    initiated_by_id=None,
    initiated_by_name="Azure AD Provisioning Service",
    initiated_by_type="system",
    reportable_identifier=LIVE_GROUP,
    dialect="graph.v1",
    extra={
        "sourceIdentity.details": {
            "DisplayName": "macos-servers-dynamic",
            "id": LIVE_GROUP,
            "odatatype": "Group",
        },
        "targetSystem.details": {
            "ApplicationId": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
            "ServicePrincipalDisplayName": "Grafana PS",
            "ServicePrincipalId": "e7e9d06f-8673-4759-bfed-67d499095d2f",
        },
    },
)
LIVE_STEPS = [
    step(
        LIVE_ID,
        0,
        "EntryImportUpdate",
        "import",
        "success",
        f"Received Group '{LIVE_GROUP}' change of type (Update) from Microsoft Entra ID",
        {"objectId": LIVE_GROUP},
    ),
    step(
        LIVE_ID,
        1,
        "EntryImport",
        "matching",
        "success",
        "Retrieved  'macos-servers-dynamic' from customappsso",
        {"displayName": "macos-servers-dynamic", "externalId": LIVE_GROUP, "id": "ffsdj2g8zwtfkd"},
    ),
    step(
        LIVE_ID,
        2,
        "EntrySynchronizationScoping",
        "scoping",
        "success",
        "Determine if Group in scope by evaluating against each scoping filter",
        {
            "Active in the source system": "True",
            "Assigned to the application": "True",
            "Group has the required role": "True",
            "ScopeEvaluationResult": "{}",
            "Scoping filter evaluation passed": "True",
        },
    ),
    step(
        LIVE_ID,
        3,
        "EntrySynchronizationSkip",
        "export",
        "skipped",
        "The state of the entry in both the source and target systems already match. No change "
        f"to the Group '{LIVE_GROUP}' currently needs to be made.",
        {"ReportableIdentifier": LIVE_GROUP, "SkipReason": "RedundantExport"},
    ),
]

DIAG_ID = "d6cbb0bd-c3ec-6455-bd3e-4282141ce369"
ELLIE = "ellie@mauriziobrancaoutlook.onmicrosoft.com"
DIAG_EVENT = event(
    event_id=DIAG_ID,
    activity_time=datetime(2022, 8, 23, 13, 36, 50, 353893, tzinfo=UTC),
    tenant_id="5611623b-9128-461e-9d7f-a0d9c270ead2",
    job_id="DropboxSCIMOutDelta.5611623b9128461e9d7fa0d9c270ead2.d6163622-bdf8-4b26-976f-7d573c638e2a",
    cycle_id="cc305635-a28e-4139-a056-42b5102933fe",
    change_id="54416401-eef2-461c-8de7-385dde2b3cba",
    action="create",
    status="skipped",
    skip_reason="AttributeValidationFailed",
    duration_ms=828,
    service_principal_id="74866461-3754-40ed-a743-9c88ff29643e",
    service_principal_name="Dropbox Business",
    source_system_id="bab3751f-8f21-4657-8fce-698f7391dbdd",
    source_system_name="Azure Active Directory",
    target_system_id="011a448f-1441-4336-8c20-e2d2cef9c410",
    target_system_name="Dropbox",
    source_id="7383d412-41f2-478f-a317-7396cc32ce9e",
    source_name="Ellie",
    source_type="User",
    target_type="urn:ietf:params:scim:schemas:core:2.0:User",
    initiated_by_name="Azure AD Provisioning Service",
    initiated_by_type="system",
    reportable_identifier=ELLIE,
    dialect="diagnostic",
    extra={
        "resourceId": "/tenants/5611623b-9128-461e-9d7f-a0d9c270ead2/providers/Microsoft.aadiam",
        "callerIpAddress": "67.43.156.42",
        "correlationId": "54416401-eef2-461c-8de7-385dde2b3cba",  # may differ from changeId
        "Level": 4,
        "targetSystem.details": {
            "ApplicationId": "97e0a159-74ec-4db1-918a-c03a9c3b6b81",
            "ServicePrincipalId": "74866461-3754-40ed-a743-9c88ff29643e",
            "ServicePrincipalDisplayName": "Dropbox Business",
        },
        "sourceIdentity.details": {
            "id": "7383d412-41f2-478f-a317-7396cc32ce9e",
            "odatatype": "User",
            "DisplayName": "Ellie",
            "UserPrincipalName": ELLIE,
        },
    },
)
DIAG_STEP_SHAPES = [
    ("EntryImportAdd", "import", "success"),
    ("EntrySynchronizationScoping", "scoping", "success"),
    ("EntrySynchronizationAdd", "matching", "success"),
    ("EntrySynchronizationSkip", "processing", "skipped"),
]

OD_SKIP_ID = "g8ba3be8-1d7f-4a60-ae31-a8980da0a389"
BILL = "BillBob@scimreftest.onmicrosoft.com"
OD_SKIP_EVENT = event(
    event_id=OD_SKIP_ID,
    activity_time=datetime(2020, 6, 26, 13, 58, 24, 549497, tzinfo=UTC),
    change_id=OD_SKIP_ID,
    action="other",
    status="skipped",
    error_code="RedundantExport",
    error_reason="The state of the user in both the source and target systems already match.",
    skip_reason="RedundantExport",
    duration_ms=219,  # endTime 13:58:24.7682084 - startTime 13:58:24.5494971
    source_system_name="Azure Active Directory",
    target_system_name="customappsso",
    source_id="62cf7b7a-52be-4a9b-9c69-e5d4a4a14f67",
    source_type="User",
    target_id="52507a19-96ec-4e73-9250-3e65ffd2d926",
    target_type="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    reportable_identifier=BILL,
    dialect="on_demand",
)
OD_SKIP_STEPS = [
    step(
        OD_SKIP_ID,
        0,
        "EntryImport",
        "import",
        "success",
        f"Retrieved User '{BILL}' from Azure Active Directory",
        {
            "objectId": "52cf7b7a-52be-4a9b-9c69-e4d4a4a14f76",
            "accountEnabled": "True",
            "displayName": "Fill Bob",
            "mailNickname": "Bill",
            "userPrincipalName": BILL,
            "IsSoftDeleted": "False",
            "appRoleAssignments": "User",
        },
        datetime(2020, 6, 26, 13, 58, 24, 549497, tzinfo=UTC),
    ),
    step(
        OD_SKIP_ID,
        1,
        "EntryImport",
        "matching",
        "success",
        f"Retrieved  '{BILL}' from customappsso",
        {
            "active": "True",
            "displayName": "Bill Bob",
            "externalId": "Bill",
            "id": "52507a19-96ec-4e73-9250-3e65ffd2d926",
            "userName": BILL,
        },
        datetime(2020, 6, 26, 13, 58, 24, 721407, tzinfo=UTC),
    ),
    step(
        OD_SKIP_ID,
        2,
        "EntrySynchronizationScoping",
        "scoping",
        "success",
        "Determine if User in scope by evaluating against each scoping filter",
        {
            "IsActive": "True",
            "Assigned": "True",
            "IsEffectivelyEntitledForProvisioning": "True",
            "IsInProvisioningScopeDisplayName": "True",
            "ScopeEvaluationResult": "{}",
        },
        datetime(2020, 6, 26, 13, 58, 24, 752618, tzinfo=UTC),
    ),
    step(
        OD_SKIP_ID,
        3,
        "EntrySynchronizationSkip",
        "export",
        "skipped",
        "The state of the user in both the source and target systems already match. No change to "
        f"the User '{BILL}' currently needs to be made.",
        {"SkipReason": "RedundantExport"},
        datetime(2020, 6, 26, 13, 58, 24, 768208, tzinfo=UTC),
    ),
]
OD_SKIP_PROPERTIES = props(
    OD_SKIP_ID,
    ("objectId", None, "52cf7b7a-52be-4a9b-9c69-e4d4a4a14f76"),
    ("accountEnabled", None, "True"),
    ("displayName", None, "Bill Bob"),
    ("mailNickname", None, "Bill"),
    ("userPrincipalName", None, BILL),
    ("IsSoftDeleted", None, "False"),
    ("appRoleAssignments", None, "User"),
)


# --- one case per dialect quirk: exact rows of all four log tables ---------------------------

DIALECT_CASES = {
    "v1.0 success, capitalised step types": (
        [p.v1_success_aws()],
        None,
        [AWS_EVENT],
        AWS_STEPS,
        AWS_PROPERTIES,
        [],
    ),
    "v1.0 failure, Contoso 409": (
        [p.v1_failure_contoso()],
        None,
        [CONTOSO_EVENT],
        conflict_steps("Contoso"),
        GROUP_PROPERTIES,
        [conflict_error("Contoso", "ContosoEntryConflict", p.CONTOSO_REASON, app_id=CONTOSO_SP)],
    ),
    "v1.0 live record, RedundantExport skip": (
        [p.v1_live_scim_group()],
        None,
        [LIVE_EVENT],
        LIVE_STEPS,
        [],
        [],
    ),
    "beta legacy, Box": (
        [p.beta_legacy_box()],
        None,
        [BOX_EVENT],
        conflict_steps("Box"),
        GROUP_PROPERTIES,
        [conflict_error("Box", "BoxEntryConflict", p.BOX_REASON)],
    ),
    "beta with old and new fields": (
        [p.both_shapes_box()],
        None,
        [BOX_EVENT],
        conflict_steps("Box"),
        GROUP_PROPERTIES,
        [conflict_error("Box", "BoxEntryConflict", p.BOX_REASON)],
    ),
    "portal JSON array": (
        [p.beta_legacy_box()],
        Container.JSON_ARRAY,
        [{**BOX_EVENT, "dialect": "portal"}],
        conflict_steps("Box"),
        GROUP_PROPERTIES,
        [conflict_error("Box", "BoxEntryConflict", p.BOX_REASON)],
    ),
    "on-demand skipped": (
        [p.on_demand_skipped()],
        None,
        [OD_SKIP_EVENT],
        OD_SKIP_STEPS,
        OD_SKIP_PROPERTIES,
        [],
    ),
    "on-demand group, value {}": ([p.on_demand_group()], None, [], [], [], []),
}


@pytest.mark.parametrize(
    ("records", "hint", "events", "steps", "properties", "errors"),
    list(DIALECT_CASES.values()),
    ids=list(DIALECT_CASES),
)
def test_dialect_gives_exact_rows(records, hint, events, steps, properties, errors):
    frames = frames_of(*records, hint=hint)
    assert rows(frames, "events") == events
    assert rows(frames, "steps") == steps
    assert rows(frames, "modified_properties") == properties
    assert rows(frames, "errors") == errors


def test_diagnostic_record_maps_pascal_case_and_integer_enums():
    frames = frames_of(p.diagnostic_dropbox_skip())
    assert rows(frames, "events") == [DIAG_EVENT]
    steps = rows(frames, "steps")
    assert [(s["name"], s["step_type"], s["status"]) for s in steps] == DIAG_STEP_SHAPES
    assert steps[3]["details"] == {
        "PropertyName": "name.familyName",
        "SkipReason": "AttributeValidationFailed",
        "ReportableIdentifier": ELLIE,
    }
    assert rows(frames, "modified_properties") == []
    assert rows(frames, "errors") == []


def test_diagnostic_duration_given_only_as_string_envelope():
    record = p.diagnostic_dropbox_skip()
    del record["properties"]["durationInMilliseconds"]
    assert record["durationMs"] == "828"
    assert frames_of(record).table("events")["duration_ms"].to_pylist() == [828]


def test_diagnostic_integer_legacy_status_alone():
    record = p.diagnostic_dropbox_skip()
    del record["properties"]["provisioningStatusInfo"]
    del record["resultType"]
    assert record["properties"]["statusInfo"] == {"Status": 2}
    assert frames_of(record).table("events")["status"].to_pylist() == ["skipped"]


@pytest.mark.parametrize(
    ("step_type", "status", "expected"),
    [
        (0, 0, ("import", "success")),
        (1, 1, ("scoping", "failure")),
        (2, 2, ("matching", "skipped")),
        (3, 3, ("processing", "warning")),
        (4, 0, ("referenceResolution", "success")),
        (5, 0, ("export", "success")),
    ],
)
def test_diagnostic_integer_step_enums(step_type, status, expected):
    record = p.diagnostic_dropbox_skip()
    record["properties"]["provisioningSteps"][0].update(
        provisioningStepType=step_type, status=status
    )
    first = frames_of(record).table("steps").to_pylist()[0]
    assert (first["step_type"], first["status"]) == expected


def test_on_demand_cloud_sync_update():
    frames = frames_of(p.on_demand_cloud_sync_update())
    event_id = "582595f3-53be-4843-bf0c-f57dbf8fae96"
    assert rows(frames, "events") == [
        event(
            event_id=event_id,
            activity_time=datetime(2022, 4, 21, 18, 40, 7, 830945, tzinfo=UTC),
            change_id=event_id,
            action="update",
            status="success",
            duration_ms=1719,  # 18:40:09.5496702 - 18:40:07.8309453
            source_system_name="Active Directory",
            target_system_name="Azure Active Directory",
            source_id="38a2171b-8b04-4b21-8133-ca8ae52250f3",
            source_type="user",
            target_id="87cb2512-8e7f-4543-a9c9-e7cf8756a3ad",
            target_type="User",
            reportable_identifier="adelev@chicago.com",
            dialect="on_demand",
        )
    ]
    steps = frames.table("steps").select(["step_index", "name", "step_type", "timestamp"])
    assert steps.to_pylist() == [
        {
            "step_index": 0,
            "name": "EntryImportAdd",
            "step_type": "import",
            "timestamp": datetime(2022, 4, 21, 18, 40, 7, 846514, tzinfo=UTC),
        },
        {
            "step_index": 1,
            "name": "EntryImport",
            "step_type": "import",
            "timestamp": datetime(2022, 4, 21, 18, 40, 7, 877800, tzinfo=UTC),
        },
        {
            "step_index": 2,
            "name": "EntrySynchronizationScoping",
            "step_type": "scoping",
            "timestamp": datetime(2022, 4, 21, 18, 40, 8, 159013, tzinfo=UTC),
        },
        {
            "step_index": 3,
            "name": "EntryExportUpdate",
            "step_type": "export",
            "timestamp": datetime(2022, 4, 21, 18, 40, 9, 518464, tzinfo=UTC),
        },
    ]
    details = json.loads(frames.table("steps")["details"][0].as_py())
    assert details["originatingReplicaToken"] == (
        '{"InvocationId":"6cbd7b45-b262-4dad-94a3-620503ea1f25","Name":"DC01.esf.edu"}'
    )
    properties = rows(frames, "modified_properties")
    assert len(properties) == 37
    assert properties[0] == props(event_id, ("AccountEnabled", None, "True"))[0]
    assert properties[-1]["name"] == "UserPrincipalName"
    assert properties[-1]["old_value"] is None
    assert rows(frames, "errors") == []


def test_on_demand_failure_verdict_fills_error_columns():
    response = p.on_demand_skipped()
    response["key"] = json.dumps(
        {
            "result": "Failure",
            "details": {
                "errorCode": "SystemForCrossDomainIdentityManagementBadResponse",
                "errorMessage": "Web Response: 400",
            },
        }
    )
    frames = frames_of(response)
    ev = frames.table("events").to_pylist()[0]
    assert (ev["status"], ev["error_code"], ev["error_reason"], ev["skip_reason"]) == (
        "failure",
        "SystemForCrossDomainIdentityManagementBadResponse",
        "Web Response: 400",
        "RedundantExport",  # the skip step still says why it was skipped
    )
    assert frames.table("errors").num_rows == 1


# --- Log Analytics ---------------------------------------------------------------------------


def test_log_analytics_row_parses_json_columns_and_uses_aad_tenant():
    frames = frames_of(p.log_analytics_row())
    expected = {
        **CONTOSO_EVENT,
        "dialect": "log_analytics",
        "source_system_id": None,  # `SourceSystem` is Log Analytics' agent column
        "source_system_name": None,
        "extra": {
            "TenantId": p.WORKSPACE_ID,
            "SourceSystem": "Azure",
            "CorrelationId": p.log_analytics_row()["CorrelationId"],
            "TargetSystem.details": CONTOSO_EVENT["extra"]["targetSystem.details"],
        },
    }
    assert rows(frames, "events") == [expected]
    assert rows(frames, "steps") == conflict_steps("Contoso")
    assert rows(frames, "modified_properties") == GROUP_PROPERTIES
    assert rows(frames, "errors") == [
        conflict_error("Contoso", "ContosoEntryConflict", p.CONTOSO_REASON, app_id=CONTOSO_SP)
    ]


def test_log_analytics_workspace_id_never_becomes_tenant_id():
    row = p.log_analytics_row()
    del row["AADTenantId"]
    ev = frames_of(row).table("events").to_pylist()[0]
    assert ev["tenant_id"] is None
    assert json.loads(ev["extra"])["TenantId"] == p.WORKSPACE_ID


def test_log_analytics_result_signature_is_the_error_code():
    row = p.log_analytics_row()
    row["ProvisioningStatusInfo"] = json.dumps({"status": "failure", "errorInformation": None})
    ev = frames_of(row).table("events").to_pylist()[0]
    assert (ev["status"], ev["error_code"], ev["error_reason"]) == (
        "failure",
        "ContosoEntryConflict",
        p.CONTOSO_REASON,
    )


def test_log_analytics_result_type_gives_status():
    row = p.log_analytics_row()
    row["ProvisioningStatusInfo"] = ""
    assert frames_of(row).table("events")["status"].to_pylist() == ["failure"]


# --- enums, empty strings, unknown fields ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "column", "expected"),
    [
        ("provisioningAction", "stageddelete", "action", "stagedDelete"),
        ("provisioningAction", "STAGEDDELETE", "action", "stagedDelete"),
        ("provisioningAction", "Disable", "action", "disable"),
        ("provisioningAction", 5, "action", "stagedDelete"),
        ("status", "Warning", "status", "warning"),
        ("status", "SKIPPED", "status", "skipped"),
        ("errorCategory", "NONSERVICEFAILURE", "error_category", "nonServiceFailure"),
        ("errorCategory", "Failure", "error_category", "failure"),
        ("initiatorType", "Application", "initiated_by_type", "application"),
        ("initiatorType", 0, "initiated_by_type", "user"),
    ],
)
def test_event_enums_compare_case_insensitively(field, value, column, expected):
    record = p.v1_failure_contoso()
    if field == "provisioningAction":
        record[field] = value
    elif field == "status":
        record["provisioningStatusInfo"]["status"] = value
    elif field == "errorCategory":
        record["provisioningStatusInfo"]["errorInformation"]["errorCategory"] = value
    else:
        record["initiatedBy"]["initiatorType"] = value
    assert frames_of(record).table("events")[column].to_pylist() == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Import", "import"),
        ("IMPORT", "import"),
        ("import", "import"),
        ("referenceresolution", "referenceResolution"),
        ("ReferenceResolution", "referenceResolution"),
        ("Matching", "matching"),
    ],
)
def test_step_types_compare_case_insensitively(value, expected):
    record = p.v1_success_aws()
    record["provisioningSteps"][0]["provisioningStepType"] = value
    assert frames_of(record).table("steps")["step_type"].to_pylist()[0] == expected


@pytest.mark.parametrize(
    ("change", "table", "column"),
    [
        (lambda r: r.update(tenantId=""), "events", "tenant_id"),
        (lambda r: r.update(jobId=""), "events", "job_id"),
        (lambda r: r["sourceIdentity"].update(displayName=""), "events", "source_name"),
        (lambda r: r["initiatedBy"].update(displayName=""), "events", "initiated_by_name"),
        (
            lambda r: r["provisioningStatusInfo"]["errorInformation"].update(reason=""),
            "events",
            "error_reason",
        ),
        (
            lambda r: r["provisioningStatusInfo"]["errorInformation"].update(errorCategory=""),
            "events",
            "error_category",
        ),
        (lambda r: r["provisioningSteps"][0].update(description=""), "steps", "description"),
        (lambda r: r["provisioningSteps"][0].update(details=""), "steps", "details"),
        (
            lambda r: r["modifiedProperties"][0].update(displayName=""),
            "modified_properties",
            "name",
        ),
    ],
)
def test_empty_strings_become_nulls(change, table, column):
    record = p.v1_failure_contoso()
    change(record)
    assert frames_of(record).table(table)[column].to_pylist()[0] is None


@pytest.mark.parametrize(
    ("change", "path", "value"),
    [
        (lambda r: r.update(newTopField="x"), "newTopField", "x"),
        (lambda r: r["targetSystem"].update(newField=1), "targetSystem.newField", 1),
        (lambda r: r["servicePrincipal"].update(appId="a1"), "servicePrincipal.appId", "a1"),
        (lambda r: r["initiatedBy"].update(upn="u@x"), "initiatedBy.upn", "u@x"),
        (
            lambda r: r["provisioningStatusInfo"].update(retryable=True),
            "provisioningStatusInfo.retryable",
            True,
        ),
        (
            lambda r: r["provisioningStatusInfo"]["errorInformation"].update(subCode="409.1"),
            "provisioningStatusInfo.errorInformation.subCode",
            "409.1",
        ),
        (
            lambda r: r["provisioningSteps"][1].update(newField={"a": 1}),
            "provisioningSteps[1].newField",
            {"a": 1},
        ),
        (
            lambda r: r["modifiedProperties"][0].update(extraKey="e"),
            "modifiedProperties[0].extraKey",
            "e",
        ),
        (
            lambda r: r["sourceIdentity"]["details"].update(UserPrincipalName="g@x"),
            "sourceIdentity.details",
            {"UserPrincipalName": "g@x"},
        ),
    ],
)
def test_unknown_fields_go_to_extra_by_path(change, path, value):
    record = p.v1_failure_contoso()
    change(record)
    extra = json.loads(frames_of(record).table("events")["extra"][0].as_py())
    assert extra[path] == value
    assert extra["targetSystem.details"]["ApplicationId"] == "f2764360-e0ec-5676-711e-cd6fc0d4dd61"


def test_known_record_without_unknown_fields_has_null_extra():
    record = p.v1_failure_contoso()
    record["targetSystem"]["details"] = {}
    assert frames_of(record).table("events")["extra"].to_pylist() == [None]


def test_legacy_action_values_are_mapped():
    record = p.beta_legacy_box()
    record["action"] = "StagedDelete"
    assert frames_of(record).table("events")["action"].to_pylist() == ["stagedDelete"]


# --- errors table ------------------------------------------------------------------------------


def _failed_step(record: dict) -> tuple:
    error = frames_of(record).table("errors").to_pylist()
    assert len(error) == 1
    return error[0]["failed_step_name"], error[0]["failed_step_type"]


def test_failed_step_is_the_first_step_with_the_event_status():
    record = p.v1_failure_contoso()
    record["provisioningSteps"][1]["status"] = "failure"
    assert _failed_step(record) == ("EntrySynchronizationAdd", "matching")


def test_warning_events_are_errors_with_their_warning_step():
    record = p.v1_failure_contoso()
    record["provisioningStatusInfo"]["status"] = "warning"
    record["provisioningSteps"][0]["status"] = "Warning"
    assert _failed_step(record) == ("EntryImportAdd", "import")
    assert frames_of(record).table("errors")["error_code"].to_pylist() == ["ContosoEntryConflict"]


def test_failed_step_falls_back_to_the_last_step():
    record = p.v1_failure_contoso()
    record["provisioningSteps"][2]["status"] = "success"
    assert _failed_step(record) == ("EntryExportAdd", "export")


def test_failure_without_steps_has_null_failed_step():
    record = p.v1_failure_contoso()
    record["provisioningSteps"] = []
    error = frames_of(record).table("errors").to_pylist()[0]
    assert (error["failed_step_name"], error["failed_step_type"]) == (None, None)
    assert error["error_code"] == "ContosoEntryConflict"


@pytest.mark.parametrize("status", ["success", "skipped", "Success", "SKIPPED"])
def test_success_and_skipped_events_are_not_errors(status):
    record = p.v1_failure_contoso()
    record["provisioningStatusInfo"]["status"] = status
    assert frames_of(record).table("errors").num_rows == 0


def test_errors_table_holds_only_problem_events():
    frames = frames_of(
        p.v1_success_aws(), p.v1_failure_contoso(), p.v1_live_scim_group(), p.on_demand_skipped()
    )
    assert frames.table("events").num_rows == 4
    assert frames.table("errors")["event_id"].to_pylist() == [CONFLICT_ID]


def test_on_demand_unknown_fields_go_to_extra():
    response = p.on_demand_skipped()
    response["newEnvelopeField"] = "x"
    verdict = json.loads(response["key"])
    verdict["details"]["extraInfo"] = "y"
    response["key"] = json.dumps(verdict)
    value = json.loads(response["value"])
    value["newValueField"] = "z"
    value["sourceSystem"]["newSys"] = "s"
    response["value"] = json.dumps(value)
    extra = json.loads(frames_of(response).table("events")["extra"][0].as_py())
    assert extra["newValueField"] == "z"
    assert extra["sourceSystem.newSys"] == "s"
    assert [v for k, v in extra.items() if k.endswith("details.extraInfo")] == ["y"]
    assert extra["newEnvelopeField"] == "x"
