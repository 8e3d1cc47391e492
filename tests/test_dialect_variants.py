"""Variants of each export kind of issue 12, table-driven: Log Analytics portal exports,
PowerShell output, resource-log envelopes, "" against null, optional and odd-shaped fields."""

from __future__ import annotations

import copy
import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import payloads as p
import pytest

import provlytics as pv
from provlytics.normalize import aliases as A
from provlytics.normalize.batch import normalize_page
from provlytics.normalize.dialects import Dialect
from provlytics.origin import Container, Origin, Page
from provlytics.schema import ENUM_MEMBERS, SCHEMAS, render_markdown
from provlytics.tables import FramesBuilder, ProvisioningFrames

CASES = Path(__file__).parent / "data" / "cases"
CONTOSO_TIME = datetime(2019, 6, 24, 20, 53, 8, tzinfo=UTC)  # v1_failure_contoso


def frames_of(
    *records: Any, hint: Container | None = None, on_error: str = "raise"
) -> ProvisioningFrames:
    builder = FramesBuilder()
    page = Page(Origin("page.json"), hint or Container.JSON_LINES, records=list(records))
    builder.add(normalize_page(page, on_error=on_error))  # type: ignore[arg-type]
    return builder.build()


def event(frames: ProvisioningFrames) -> dict[str, Any]:
    (row,) = frames.table("events").to_pylist()
    row["extra"] = row["extra"] and json.loads(row["extra"])
    return row


def reject(record: Any, hint: Container | None = None) -> pv.InputError:
    with pytest.raises(pv.InputError) as info:
        frames_of(record, hint=hint)
    return info.value


# --- Log Analytics exports -------------------------------------------------------------------


def la_row(**renamed: str) -> dict[str, Any]:
    """The Contoso conflict as a Log Analytics row, headers renamed as given."""
    row = p.log_analytics_row()
    return {renamed.get(k, k): v for k, v in row.items()}


@pytest.mark.parametrize(
    ("header", "text", "expected"),
    [
        ("TimeGenerated [UTC]", "6/24/2019, 8:53:08.000 PM", CONTOSO_TIME),
        ("TimeGenerated [UTC]", "6/24/2019, 8:53:08 PM", CONTOSO_TIME),
        ("TimeGenerated [UTC]", "6/24/2019 20:53:08", CONTOSO_TIME),
        (
            "TimeGenerated [UTC]",
            "2019/06/24 20:53:08.250",
            CONTOSO_TIME.replace(microsecond=250000),
        ),
        (
            "TimeGenerated [UTC]",
            "2019-06-24 20:53:08.1234567",
            CONTOSO_TIME.replace(microsecond=123456),
        ),
        ("TimeGenerated [UTC]", "2019-06-24T20:53:08.0000000Z", CONTOSO_TIME),
        ("TimeGenerated", "6/24/2019, 8:53:08.000 PM", CONTOSO_TIME),
        ("TimeGenerated [UTC+02:00]", "2019-06-24 22:53:08", CONTOSO_TIME),
        ("TimeGenerated [UTC-5]", "6/24/2019, 3:53:08 PM", CONTOSO_TIME),
        ("TimeGenerated  [UTC]", "2019-06-24T20:53:08Z", CONTOSO_TIME),
    ],
)
def test_log_analytics_time_headers_and_display_forms(header, text, expected):
    row = la_row(TimeGenerated=header) | {header: text}
    ev = event(frames_of(row))
    assert ev["activity_time"] == expected
    assert (ev["dialect"], ev["status"], ev["duration_ms"]) == ("log_analytics", "failure", 2785)


@pytest.mark.parametrize(
    ("header", "text", "field", "reason"),
    [
        (
            "TimeGenerated [Local Time]",
            "6/24/2019, 8:53:08 PM",
            "TimeGenerated [Local Time]",
            "UTC",
        ),
        ("TimeGenerated [UTC]", "yesterday", "TimeGenerated [UTC]", "'yesterday'"),
        ("TimeGenerated", "24.06.2019 20:53", "TimeGenerated", "'24.06.2019 20:53'"),
    ],
)
def test_log_analytics_times_that_cannot_be_placed_name_the_header(header, text, field, reason):
    row = la_row(TimeGenerated=header) | {header: text}
    error = reject(row)
    assert error.field == field
    assert reason in error.reason
    assert error.origin == Origin("page.json", record=1)


@pytest.mark.parametrize(
    ("renamed", "column", "value"),
    [
        ({"DurationMs": "DurationMs [ms]"}, "duration_ms", 2785),
        ({"AADTenantId": "AADTenantId [string]"}, "tenant_id", p.v1_failure_contoso()["tenantId"]),
        ({"ResultType": "ResultType [string]"}, "status", "failure"),
    ],
)
def test_log_analytics_decorated_headers_of_other_columns(renamed, column, value):
    assert event(frames_of(la_row(**renamed)))[column] == value


def test_log_analytics_missing_id_is_named_as_the_column():
    row = la_row()
    del row["Id"]
    assert reject(row).field == "Id"


def test_log_analytics_json_export_with_nested_objects_and_text_numbers():
    row = la_row(TimeGenerated="TimeGenerated [UTC]")
    for column in A.LOG_ANALYTICS_JSON_COLUMNS:
        row[column] = json.loads(row[column])
    row |= {"TimeGenerated [UTC]": "6/24/2019, 8:53:08.000 PM", "DurationMs": "3"}
    frames = frames_of(row, hint=Container.JSON_ARRAY)
    ev = event(frames)
    assert (ev["activity_time"], ev["duration_ms"], ev["error_code"]) == (
        CONTOSO_TIME,
        3,
        "ContosoEntryConflict",
    )
    assert frames.table("steps").num_rows == 3


def test_log_analytics_csv_file_with_decorated_header_loads(tmp_path):
    row = la_row(TimeGenerated="TimeGenerated [UTC]") | {
        "TimeGenerated [UTC]": "6/24/2019, 8:53:08.000 PM"
    }
    path = tmp_path / "query_data.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    frames = pv.load(path)
    assert frames.table("events")["activity_time"].to_pylist() == [CONTOSO_TIME]
    assert frames.table("errors")["error_code"].to_pylist() == ["ContosoEntryConflict"]


# --- PowerShell ------------------------------------------------------------------------------


def pwsh(index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(json.loads((CASES / "pwsh_sdk_convertto_json.json").read_text())[index])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-10T06:30:12Z", datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)),  # PowerShell 7
        ("2024-04-10T08:30:12+02:00", datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)),
        ("/Date(1712730612000)/", datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)),  # 5.1
        ("/Date(1712730612345+0200)/", datetime(2024, 4, 10, 6, 30, 12, 345000, tzinfo=UTC)),
        ("4/10/2024 6:30:12 AM", datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)),  # en-US
    ],
)
def test_powershell_dates(text, expected):
    assert event(frames_of(pwsh() | {"ActivityDateTime": text}))["activity_time"] == expected


def test_powershell_beta_objects_with_legacy_fields_and_additional_properties():
    record = pwsh()
    del record["ProvisioningAction"]
    record["Action"] = "Disable"
    del record["ProvisioningStatusInfo"]
    record["StatusInfo"] = {  # beta's flat statusDetails
        "Status": "failure",
        "ErrorCode": "SystemForCrossDomainIdentityManagementBadResponse",
        "Reason": "HTTP 400",
        "AdditionalProperties": {"@odata.type": "#microsoft.graph.statusDetails"},
    }
    record["AdditionalProperties"] = {"@odata.type": "#microsoft.graph.provisioningObjectSummary"}
    record["ServicePrincipal"]["AdditionalProperties"] = {"appId": "a1"}
    ev = event(frames_of(record, hint=Container.JSON_ARRAY))
    assert (ev["action"], ev["status"], ev["dialect"]) == ("disable", "failure", "powershell")
    assert ev["error_code"] == "SystemForCrossDomainIdentityManagementBadResponse"
    assert ev["extra"]["servicePrincipal.appId"] == "a1"
    assert "@odata.type" not in ev["extra"]


def test_powershell_single_object_file_loads(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(pwsh(1)), encoding="utf-8")
    frames = pv.load(path)
    assert frames.table("events")["status"].to_pylist() == ["success"]
    assert frames.table("steps").num_rows == 2


SHALLOW = "Microsoft.Graph.PowerShell.Models.MicrosoftGraphProvisioningStep"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(ProvisioningSteps=[SHALLOW, SHALLOW]), "ProvisioningSteps[0]"),
        (
            lambda r: r["ProvisioningStatusInfo"].update(
                ErrorInformation="Microsoft.Graph.PowerShell.Models.MicrosoftGraphStatusDetails"
            ),
            "ProvisioningStatusInfo.ErrorInformation",
        ),
        (
            lambda r: r["ProvisioningSteps"][1].update(
                Details="Microsoft.Graph.PowerShell.Models.MicrosoftGraphDetailsInfo"
            ),
            "ProvisioningSteps[1].Details",
        ),
        (lambda r: r.update(ModifiedProperties="System.Object[]"), "ModifiedProperties"),
        (
            lambda r: r.update(ServicePrincipal="@{DisplayName=Acme HR SCIM; Id=b7c8d9e0}"),
            "ServicePrincipal",
        ),
        (lambda r: r.update(InitiatedBy="System.Collections.Hashtable"), "InitiatedBy"),
    ],
)
def test_powershell_objects_cut_by_convertto_json_depth_are_refused_with_the_fix(change, field):
    record = pwsh()
    change(record)
    error = reject(record, hint=Container.JSON_ARRAY)
    assert error.field == field
    assert "ConvertTo-Json -Depth 10" in error.reason
    assert "Export-Csv" in error.reason


def test_powershell_text_values_that_look_like_type_names_are_data():
    record = pwsh()
    record["ModifiedProperties"][0]["NewValue"] = "System.Collections.Generic.List`1[String]"
    record["ProvisioningSteps"][0]["Description"] = "@{odd}"
    frames = frames_of(record, hint=Container.JSON_ARRAY)
    assert frames.table("modified_properties")["new_value"].to_pylist() == [
        "System.Collections.Generic.List`1[String]"
    ]
    assert frames.table("steps")["description"].to_pylist()[0] == "@{odd}"


def _export_csv(path: Path, records: list[dict[str, Any]], *, type_line: bool) -> Path:
    """What Export-Csv writes: nested objects as their .NET type names."""
    types = {
        "InitiatedBy": "MicrosoftGraphInitiator",
        "ModifiedProperties": "IMicrosoftGraphModifiedProperty[]",
        "ProvisioningStatusInfo": "MicrosoftGraphProvisioningStatusInfo",
        "ProvisioningSteps": "IMicrosoftGraphProvisioningStep[]",
        "ServicePrincipal": "MicrosoftGraphProvisionedIdentity",
        "SourceIdentity": "MicrosoftGraphProvisionedIdentity",
        "SourceSystem": "MicrosoftGraphProvisioningSystem",
        "TargetIdentity": "MicrosoftGraphProvisionedIdentity",
        "TargetSystem": "MicrosoftGraphProvisioningSystem",
    }
    lines = ["#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphProvisioningObjectSummary"]
    header = [k for k in records[0] if k != "AdditionalProperties"] + ["AdditionalProperties"]
    lines = lines if type_line else []
    lines.append(",".join(f'"{h}"' for h in header))
    for record in records:
        cells = []
        for h in header:
            if h in types:
                cells.append(f"Microsoft.Graph.PowerShell.Models.{types[h]}")
            elif h == "AdditionalProperties":
                cells.append("System.Collections.Generic.Dictionary`2[System.String,System.Object]")
            else:
                cells.append(str(record[h]))
        lines.append(",".join(f'"{c}"' for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("type_line", [True, False], ids=["5.1 #TYPE", "7 no #TYPE"])
def test_powershell_export_csv_is_refused_with_how_to_redo_it(tmp_path, type_line):
    path = _export_csv(tmp_path / "logs.csv", [pwsh(0), pwsh(1)], type_line=type_line)
    with pytest.raises(pv.InputError) as info:
        pv.load(path)
    assert info.value.field == "InitiatedBy"
    assert "MicrosoftGraphInitiator" in info.value.reason
    assert "ConvertTo-Json -Depth 10" in info.value.reason
    frames = pv.load(path, on_error="collect")
    rejects = frames.rejects.to_dict("records")
    assert [(r["origin"], r["field"]) for r in rejects] == [
        (f"{path}:{3 if type_line else 2}: record 1", "InitiatedBy"),
        (f"{path}:{4 if type_line else 3}: record 2", "InitiatedBy"),
    ]


# --- resource-log envelopes (diagnostic settings) --------------------------------------------

DROPBOX_TIME = datetime(2022, 8, 23, 13, 36, 50, 353893, tzinfo=UTC)


def diag(envelope: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    record = p.diagnostic_dropbox_skip()
    for key, value in props.items():
        if value is ...:
            record["properties"].pop(key)
        else:
            record["properties"][key] = value
    record.update(envelope or {})
    return record


FAILED = {"provisioningStatusInfo": {"status": "failure", "errorInformation": None}}


@pytest.mark.parametrize(
    ("record", "column", "value"),
    [
        (diag(activityDateTime=...), "activity_time", DROPBOX_TIME),
        (diag(activityDateTime=None), "activity_time", DROPBOX_TIME),
        (diag(tenantId=...), "tenant_id", "5611623b-9128-461e-9d7f-a0d9c270ead2"),
        (diag(tenantId=""), "tenant_id", "5611623b-9128-461e-9d7f-a0d9c270ead2"),
        (diag(durationInMilliseconds=...), "duration_ms", 828),  # envelope "828" (text)
        (diag(provisioningStatusInfo=..., statusInfo=...), "status", "skipped"),  # resultType
        (diag({"resultSignature": "SystemForCrossDomainIdentityManagementBadResponse"}, **FAILED),
         "error_code", "SystemForCrossDomainIdentityManagementBadResponse"),
        (diag({"resultDescription": "HTTP 400"}, **FAILED), "error_reason", "HTTP 400"),
        (diag({"correlationId": "not-the-change"}), "change_id",
         "54416401-eef2-461c-8de7-385dde2b3cba"),
    ],
)  # fmt: skip
def test_diagnostic_envelope_fills_what_properties_lack(record, column, value):
    assert event(frames_of(record))[column] == value


def test_diagnostic_record_error_details_win_over_the_envelope():
    info = {"status": "failure", "errorInformation": {"errorCode": "Own", "reason": "own"}}
    record = diag(
        {"resultSignature": "Env", "resultDescription": "env"}, provisioningStatusInfo=info
    )
    ev = event(frames_of(record))
    assert (ev["error_code"], ev["error_reason"]) == ("Own", "own")


def test_diagnostic_properties_as_json_text():
    record = diag()
    record["properties"] = json.dumps(record["properties"])
    ev = event(frames_of(record))
    assert (ev["event_id"], ev["activity_time"]) == (
        "d6cbb0bd-c3ec-6455-bd3e-4282141ce369",
        DROPBOX_TIME,
    )


def test_diagnostic_correlation_id_stays_in_extra():
    ev = event(frames_of(diag({"correlationId": "c-1"})))
    assert ev["extra"]["correlationId"] == "c-1"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (diag(id=...), "properties.id"),
        (diag(activityDateTime="soon"), "properties.activityDateTime"),
        (diag({"time": "soon"}, activityDateTime=...), "time"),
        (diag({"time": None}, activityDateTime=...), "properties.activityDateTime"),
        (diag({"properties": []}), "properties"),
    ],
)
def test_diagnostic_rejects_name_the_field_as_spelled_in_the_input(record, field):
    assert reject(record).field == field


# --- "" against null -------------------------------------------------------------------------

VALUES = [
    {"displayName": "mobile", "oldValue": "+1 555", "newValue": ""},
    {"displayName": "title", "oldValue": None, "newValue": "Lead"},
    {"displayName": "mail", "oldValue": "", "newValue": None},
]
KEPT = [("+1 555", ""), (None, "Lead"), ("", None)]


def _with_values(dialect: str) -> tuple[dict[str, Any], str | None]:
    if dialect == "graph.beta.legacy":
        return p.beta_legacy_box() | {"modifiedProperties": VALUES}, None
    if dialect == "diagnostic":
        return diag(modifiedProperties=VALUES), None
    if dialect == "log_analytics":
        return la_row() | {"ModifiedProperties": json.dumps(VALUES)}, None
    if dialect == "powershell":
        values = [{k[0].upper() + k[1:]: v for k, v in prop.items()} for prop in VALUES]
        return pwsh() | {"ModifiedProperties": values}, Container.JSON_ARRAY
    extended = [prop | {"extraKey": 1} for prop in VALUES]  # off the per-key fast path
    return p.v1_failure_contoso() | {"modifiedProperties": extended}, None


@pytest.mark.parametrize(
    "dialect", ["graph.v1", "graph.beta.legacy", "diagnostic", "log_analytics", "powershell"]
)
def test_cleared_and_unlogged_values_stay_apart_in_every_dialect(dialect):
    record, hint = _with_values(dialect)
    frames = frames_of(record, hint=hint)
    assert event(frames)["dialect"] == dialect
    props = frames.table("modified_properties").to_pylist()
    assert [(r["old_value"], r["new_value"]) for r in props] == KEPT


def test_portal_csv_cannot_tell_cleared_from_unlogged():
    row = {"Date (UTC)": "2024-04-10T06:30:12Z", "Id": "e1", "Change Id": "c1", "Status": "success"}
    props = [{"Change Id": "c1", "Name": "mobile", "Old Value": "+1 555", "New Value": None}]
    record = row | {"@steps": [], "@properties": props}
    frames = frames_of(record, hint=Container.PORTAL_CSV)
    assert frames.table("modified_properties")["new_value"].to_pylist() == [None]


# --- optional fields, odd shapes, enumerations -----------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        {"id": "s1", "activityDateTime": "2024-04-10T06:30:12Z"},
        {"id": "s1", "activityDateTime": "2024-04-10T06:30:12Z", "jobId": "j", "newField": 1},
        {"id": "s1", "activityDateTime": "2024-04-10T06:30:12Z", "provisioningSteps": []},
    ],
)
def test_a_record_saved_with_select_loads_with_nulls(record):
    ev = event(frames_of(record))
    assert (ev["event_id"], ev["action"], ev["status"], ev["dialect"]) == (
        "s1",
        None,
        None,
        "graph.v1",
    )
    assert ev["activity_time"] == datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)


ODD_SHAPES = [  # (changed field, value, the column that loses it)
    ("servicePrincipal", ["x"], "service_principal_id"),
    ("durationInMilliseconds", "long", "duration_ms"),
    ("durationInMilliseconds", 2**64, "duration_ms"),
    ("jobId", {"id": 1}, "job_id"),
    ("provisioningAction", "teleport", "action"),
    ("provisioningAction", 42, "action"),
    ("initiatedBy.initiatorType", [], "initiated_by_type"),
]


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, key = path.split(".")
    for parent in parents:
        record = record[parent]
    record[key] = value


@pytest.mark.parametrize(
    ("path", "value", "column"), ODD_SHAPES, ids=[f"{f}={v!r}" for f, v, _ in ODD_SHAPES]
)
def test_a_field_of_an_odd_shape_costs_only_that_field(path, value, column):
    record = p.v1_failure_contoso()
    _set(record, path, value)
    page = normalize_page(Page(Origin("page.json"), Container.JSON_LINES, records=[record]))
    frames = frames_of(record)
    ev = event(frames)
    assert ev[column] is None
    assert ev["extra"][path] == value
    assert ev["status"] == "failure" and frames.table("steps").num_rows == 3
    (given_up,) = page.given_up  # for the pipeline to warn
    assert given_up.message().startswith(f"page.json: record 1: {path!r}: ")


@pytest.mark.parametrize(
    ("path", "value", "steps"),
    [
        ("provisioningSteps", "oops", 0),
        ("provisioningSteps.3", "x", 3),
        ("provisioningSteps.0.details", 7, 3),
        ("provisioningSteps.0.status", "pending", 3),
        ("modifiedProperties", {"a": 1}, 3),
    ],
)
def test_an_odd_step_or_list_costs_only_itself(path, value, steps):
    record = p.v1_failure_contoso()
    if path == "provisioningSteps.3":
        record["provisioningSteps"].append(value)
    else:
        _set_item(record, path, value)
    frames = frames_of(record)
    assert frames.table("steps").num_rows == steps
    field = path.replace(".3", "[3]").replace(".0", "[0]")
    assert event(frames)["extra"][field] == value


def _set_item(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, key = path.split(".")
    node: Any = record
    for parent in parents:
        node = node[int(parent)] if parent.isdigit() else node[parent]
    node[key] = value


@pytest.mark.parametrize(
    ("column", "spelling", "member"),
    [
        ("action", "Staged Delete", "stagedDelete"),
        ("action", "staged_delete", "stagedDelete"),
        ("action", "STAGEDDELETE", "stagedDelete"),
        ("action", 6, "unknownFutureValue"),
        ("status", "Unknown Future Value", "unknownFutureValue"),
        ("error_category", "non-service failure", "nonServiceFailure"),
        ("initiated_by_type", "System", "system"),
    ],
)
def test_enumeration_spellings_map_to_todays_members(column, spelling, member):
    record = p.v1_failure_contoso()
    target = {
        "action": (record, "provisioningAction"),
        "status": (record["provisioningStatusInfo"], "status"),
        "error_category": (record["provisioningStatusInfo"]["errorInformation"], "errorCategory"),
        "initiated_by_type": (record["initiatedBy"], "initiatorType"),
    }[column]
    target[0][target[1]] = spelling
    assert event(frames_of(record))[column] == member


TABLES = {
    "action": A.ACTIONS,
    "status": A.RESULTS,
    "error_category": A.ERROR_CATEGORIES,
    "initiated_by_type": A.INITIATOR_TYPES,
    "step_type": A.STEP_TYPES,
}


@pytest.mark.parametrize("column", list(TABLES))
def test_the_schema_lists_every_value_an_enumeration_column_can_hold(column):
    assert set(TABLES[column].values()) == set(ENUM_MEMBERS[column])
    table = "steps" if column == "step_type" else "events"
    doc = SCHEMAS[table].field(column).metadata[b"doc"].decode()
    for member in ENUM_MEMBERS[column]:
        assert f"`{member}`" in doc
    assert "`unknownFutureValue`" in doc
    assert "`unknownFutureValue`" in render_markdown()


# --- Windows PowerShell 5.1 encodings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "compress"),
    [
        ("pwsh_sdk_convertto_json.json", "utf-16", False),  # `> logs.json` in 5.1
        ("pwsh_sdk_convertto_json.json", "utf-16-be", False),
        ("la_portal_export_timegenerated_utc_header.csv", "utf-16", False),
        ("la_portal_export_timegenerated_utc_header.csv", "utf-16", True),
    ],
)
def test_utf16_files_with_a_byte_order_mark_load(tmp_path, name, encoding, compress):
    text = (CASES / name).read_text(encoding="utf-8")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / (name + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(data) if compress else data)
    events = pv.load(path).table("events")
    first = "cf72f858-a4b6-4f8c-8628-04db7b87a9e2" if name.endswith(".csv") else PWSH_FIRST
    assert events["event_id"].to_pylist()[0] == first
    assert events.num_rows == 2


PWSH_FIRST = "6a7b8c9d-0e1f-4a2b-8c3d-000000000201"


def test_the_schema_lists_every_dialect():
    doc = SCHEMAS["events"].field("dialect").metadata[b"doc"].decode()
    assert [d.value for d in Dialect if f"`{d.value}`" in doc] == [d.value for d in Dialect]
