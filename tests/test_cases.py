"""The field cases of `../shared/cases/` (copied to tests/data/cases/): the values its README
gives, through `pv.load` as a new user would call it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.normalize import graph_v1
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page

CASES = Path(__file__).parent / "data" / "cases"
SHARED = Path(__file__).parent.parent.parent / "shared" / "cases"
NAMES = (
    "la_portal_export_timegenerated_utc_header.csv",
    "pwsh_sdk_convertto_json.json",
    "portal_download_array_null_vs_empty_newvalue.json",
)


def _events(frames: pv.ProvisioningFrames) -> dict[str, dict]:
    return {row["event_id"]: row for row in frames.table("events").to_pylist()}


def test_log_analytics_portal_csv_with_a_decorated_time_header():
    frames = pv.load(CASES / NAMES[0])
    events = _events(frames)
    assert list(events) == [
        "cf72f858-a4b6-4f8c-8628-04db7b87a9e2",
        "ae729aff-5645-4afe-91ba-5c0fafdba91d",
    ]
    first, second = events.values()
    assert first["activity_time"] == datetime(2024, 4, 10, 6, 30, 12, 123000, tzinfo=UTC)
    assert (first["status"], first["action"], first["duration_ms"]) == ("skipped", "create", 771)
    assert first["tenant_id"] == "f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"  # AADTenantId
    assert first["skip_reason"] == "AttributeValidationFailed"
    assert second["activity_time"] == datetime(2024, 4, 10, 6, 31, 12, 247000, tzinfo=UTC)
    assert (second["status"], second["duration_ms"]) == ("success", 1107)
    assert second["tenant_id"] == "f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"
    assert {row["dialect"] for row in events.values()} == {"log_analytics"}
    assert frames.table("steps").num_rows == 6
    assert frames.table("modified_properties").num_rows == 6


def test_powershell_convertto_json_with_additional_properties_and_dotnet_dates():
    frames = pv.load(CASES / NAMES[1])
    events = _events(frames)
    failed = events["6a7b8c9d-0e1f-4a2b-8c3d-000000000201"]
    assert failed["activity_time"] == datetime(2024, 4, 10, 6, 30, 12, tzinfo=UTC)
    assert (failed["action"], failed["status"]) == ("disable", "failure")
    assert failed["error_code"] == "SystemForCrossDomainIdentityManagementBadResponse"
    assert failed["error_category"] == "nonServiceFailure"
    assert (failed["target_id"], failed["target_name"]) == ("k2m1q9", None)
    assert failed["source_name"] == "Mia Kovač"
    assert failed["reportable_identifier"] == "mia.k@fabrikam-example.test"
    assert failed["dialect"] == "powershell"
    properties = frames.table("modified_properties").to_pylist()
    assert [
        (r["name"], r["old_value"], r["new_value"])
        for r in properties
        if r["event_id"] == failed["event_id"]
    ] == [("active", "True", "False")]
    later = events["6a7b8c9d-0e1f-4a2b-8c3d-000000000202"]  # `\/Date(1712730672000)\/`
    assert later["activity_time"] == datetime(2024, 4, 10, 6, 31, 12, tzinfo=UTC)
    assert later["status"] == "success"
    assert len(events) == 2


EXPECTED_PROPERTIES = [
    (0, "title", None, "Senior Engineer"),
    (1, "mobile", "+49 30 1234567", ""),
    (2, "department", "R&D", None),
    (3, 'emails[type eq "work"].value', "", "jonas.weber@fabrikam-example.test"),
]


def _properties(frames: pv.ProvisioningFrames) -> list[tuple]:
    return [
        (r["property_index"], r["name"], r["old_value"], r["new_value"])
        for r in frames.table("modified_properties").to_pylist()
    ]


def test_portal_download_keeps_cleared_values_apart_from_unlogged_ones():
    assert _properties(pv.load(CASES / NAMES[2])) == EXPECTED_PROPERTIES


def test_cleared_values_stay_apart_on_the_typed_path_too():
    data = (CASES / NAMES[2]).read_bytes()
    assert graph_v1.tables_from_json(data) is not None  # a plain v1.0 array: the fast path
    page = Page(Origin(NAMES[2]), Container.JSON_ARRAY, data=data)
    builder = pv.tables.FramesBuilder()
    builder.add(normalize(page))
    assert _properties(builder.build()) == EXPECTED_PROPERTIES


@pytest.mark.parametrize("name", NAMES)
def test_the_copies_match_the_shared_cases(name):
    if not SHARED.is_dir():
        pytest.skip("no ../shared/cases beside the clone")
    assert (CASES / name).read_bytes() == (SHARED / name).read_bytes()
