"""`identity_history` of a display name: a name matches the identity an event is about (not
the target account a failed create conflicts with), and the history holds every event of each
identity it matched, also those logged under another spelling of the name."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import pytest
from analysis_frames import event, frames
from payloads import graph_page, v1_failure_contoso, write_json

import provlytics as pv
from provlytics.widgets import IdentityInspector

A = pv.analysis
ANN = {"source_id": "a-1", "reportable_identifier": "ann@contoso.com"}
ANNA = {"source_id": "b-2", "reportable_identifier": "anna.lee@contoso.com"}
DEE = {"source_id": "d-4", "reportable_identifier": "dee@contoso.com"}


def _shared_name() -> pv.ProvisioningFrames:
    """Ann Lee; Anna Lee, whose Slack create fails on Ann's account ("Ann Lee" as target);
    Dee, whose events log no source name, one of them "Ann Lee" as the target's name."""
    slack = {"target_system_name": "Slack", "job_id": "slack"}
    return frames(
        [
            event("a1", "2026-11-18T10:00:00Z", **ANN, **slack, source_name="Ann Lee",
                  target_name="Ann Lee", target_id="U1", action="create", status="success"),
            event("a2", "2026-11-18T11:00:00Z", **ANN, **slack, source_name="Ann Lee",
                  target_name="Ann Lee", target_id="U1", action="update", status="success"),
            event("b1", "2026-11-18T12:00:00Z", **ANNA, **slack, source_name="Anna Lee",
                  target_name="Ann Lee", target_id="U1", action="create", status="failure",
                  error_code="EntryConflict"),
            event("b2", "2026-11-18T13:00:00Z", **ANNA, target_system_name="Box",
                  source_name="Anna Lee", target_name="Anna Lee", action="create",
                  status="success"),
            event("d1", "2026-11-18T14:00:00Z", **DEE, target_name="Ann Lee", action="update",
                  status="success"),
            event("d2", "2026-11-18T15:00:00Z", **DEE, action="other", status="skipped"),
        ]
    )  # fmt: skip


def _ids(history: pv.analysis.IdentityHistory) -> list[str]:
    return history.events["event_id"].tolist()


def test_a_name_finds_its_owners_not_the_account_another_one_conflicts_with():
    with pytest.warns(UserWarning) as caught:
        history = A.identity_history(_shared_name(), "ann lee")

    # b1 names "Ann Lee" only as the Slack account Anna's create ran into: not Anna's name;
    # Dee's d1 has no source name, so its target name is Dee's; d2 is Dee's too
    assert _ids(history) == ["a1", "a2", "d1", "d2"]
    assert [str(w.message) for w in caught] == [
        "identity_history: 'ann lee' matches 2 distinct identities (UPNs: ann@contoso.com, "
        "dee@contoso.com); pass the UPN or object id to narrow it to one"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one person: no warning
        anna = A.identity_history(_shared_name(), "Anna Lee")
    assert _ids(anna) == ["b1", "b2"]
    assert anna.apps["target_system_name"].tolist() == ["Box", "Slack"]


def test_a_target_id_names_its_account_and_who_conflicts_with_it():
    """A target id is looked for only when nothing names it on the source side; the failed
    create logs the id of the account it ran into, so it finds two people, and says so."""
    with pytest.warns(UserWarning) as caught:
        history = A.identity_history(_shared_name(), "u1")
    assert _ids(history) == ["a1", "a2", "b1", "b2"]
    assert [str(w.message) for w in caught] == [
        "identity_history: 'u1' matches 2 distinct identities (UPNs: ann@contoso.com, "
        "anna.lee@contoso.com); pass the UPN or object id to narrow it to one"
    ]


TWIN = {"reportable_identifier": "lukasz.brown@corp.contoso.com"}
TWIN_ID = "2d9330e3-ddb2-4dae-97c9-906a24a9248d"


def _twins() -> pv.ProvisioningFrames:
    """Two Łukasz Browns. The second's events spell his name three ways, his Workday to AD
    events log his object id without dashes, and one event of his has no UPN; his Slack and
    Salesforce creates fail on the first one's accounts."""
    first = {
        "source_id": "8f23cf31-bd17-4ff0-81f3-165bb0b1b22e",
        "reportable_identifier": "lukasz.brown@contoso.com",
        "source_name": "Łukasz Brown",
    }
    return frames(
        [
            event("f1", "2026-11-18T09:00:00Z", **first, target_system_name="Slack",
                  target_name="Łukasz Brown", target_id="U1", action="create", status="success"),
            event("f2", "2026-11-18T09:30:00Z", **first, target_system_name="Salesforce",
                  target_name="Łukasz Brown", target_id="005A", action="create",
                  status="success"),
            event("t1", "2026-11-18T10:00:00Z", **TWIN, source_id=TWIN_ID,
                  source_name="Łukasz Brown", target_system_name="ServiceNow",
                  target_name="Łukasz Brown", action="create", status="success"),
            event("t2", "2026-11-18T11:00:00Z", **TWIN, source_id=TWIN_ID,
                  source_name="Lukasz Brown", target_system_name="Slack",
                  target_name="Łukasz Brown", target_id="U1", action="create", status="failure",
                  error_code="EntryConflict"),
            event("t3", "2026-11-18T12:00:00Z", **TWIN, source_id=TWIN_ID.replace("-", ""),
                  source_name="Brown, Łukasz", target_system_name="Active Directory",
                  action="update", status="success"),
            event("t4", "2026-11-18T13:00:00Z", source_id=TWIN_ID.upper(),
                  source_name="ukasz Brown", target_system_name="Salesforce",
                  target_name="Łukasz Brown", target_id="005A", action="create",
                  status="failure", error_code="SalesforceEntryConflict"),
            event("o1", "2026-11-18T14:00:00Z", source_id="c-3",
                  reportable_identifier="lukas.braun@contoso.com", source_name="Lukas Braun",
                  target_name="Łukasz Brown", action="update", status="failure"),
        ]
    )  # fmt: skip


@pytest.mark.parametrize("where", ["frames", "snapshot"])
def test_a_shared_name_gives_every_event_of_each_person_it_names(tmp_path: Path, where: str):
    source = _twins() if where == "frames" else _twins().to_parquet(tmp_path / "snap")
    with pytest.warns(UserWarning) as caught:
        history = A.identity_history(source, "Łukasz Brown")

    # t2-t4 do not name him "Łukasz Brown" but are the second one's: same UPN, or same
    # object id (without dashes, in capitals, without a UPN); o1 is someone else's
    assert _ids(history) == ["f1", "f2", "t1", "t2", "t3", "t4"]
    assert [str(w.message) for w in caught] == [
        "identity_history: 'Łukasz Brown' matches 2 distinct identities (UPNs: "
        "lukasz.brown@contoso.com, lukasz.brown@corp.contoso.com); pass the UPN or object id "
        "to narrow it to one"
    ]
    assert history.apps[["target_system_name", "events"]].values.tolist() == [
        ["Salesforce", 2],
        ["Active Directory", 1],
        ["Slack", 2],
        ["ServiceNow", 1],
    ]


@pytest.mark.parametrize(
    "who", ["lukasz.brown@corp.contoso.com", TWIN_ID, TWIN_ID.replace("-", ""), "ukasz brown"]
)
def test_any_name_or_id_of_one_person_gives_all_his_events_and_no_warning(who: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = A.identity_history(_twins(), who)
    assert _ids(history) == ["t1", "t2", "t3", "t4"]


def test_the_inspector_counts_the_people_its_events_are():
    inspector = IdentityInspector(_twins())
    with pytest.warns(UserWarning, match="matches 2 distinct identities"):
        inspector.controls["query"].value = "Łukasz Brown"
    assert inspector.result["event_id"].tolist() == ["f1", "f2", "t1", "t2", "t3", "t4"]
    assert inspector.panel.headline == (
        "'Łukasz Brown': 6 events in 4 apps; 'Łukasz Brown' matches 2 distinct identities "
        "(UPNs: lukasz.brown@contoso.com, lukasz.brown@corp.contoso.com); "
        "pass the UPN or object id to narrow it to one"
    )


def _record(number: int, who: dict, target: dict, *, status: str = "success") -> dict:
    """A Graph v1.0 provisioning record of a user create in Slack (from the documented
    Contoso example): `who` and `target` are its source and target identities."""
    record = copy.deepcopy(v1_failure_contoso())
    record["id"] = record["changeId"] = f"0000000{number}-0000-0000-0000-000000000000"
    record["activityDateTime"] = f"2026-11-18T1{number}:00:00Z"
    record["sourceIdentity"].update(who["identity"], identityType="User")
    record["targetIdentity"].update(target, identityType="User")
    record["provisioningSteps"][-1]["details"] = {"ReportableIdentifier": who["upn"]}
    record["provisioningSteps"][-1]["status"] = status
    record["provisioningStatusInfo"]["status"] = status
    if status == "success":
        record["provisioningStatusInfo"]["errorInformation"] = None
    return record


def test_logs_read_from_graph_json_find_the_person_not_the_account_he_ran_into(tmp_path):
    ann = {"identity": {"id": "a-1", "displayName": "Ann Lee"}, "upn": "ann@contoso.com"}
    anna = {"identity": {"id": "b-2", "displayName": "Anna Lee"}, "upn": "anna@contoso.com"}
    records = [
        _record(1, ann, {"id": "U1", "displayName": "Ann Lee"}),
        _record(2, anna, {"id": "U1", "displayName": "Ann Lee"}, status="failure"),
        _record(3, anna, {"id": "U2", "displayName": "Anna Lee"}),
    ]
    write_json(tmp_path / "logs" / "provisioning.json", graph_page(*records))
    loaded = pv.load(tmp_path / "logs", progress=False)
    assert len(loaded.events) == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ann_history = A.identity_history(loaded, "Ann Lee")
        anna_history = A.identity_history(loaded, "anna lee")
    assert ann_history.events["reportable_identifier"].tolist() == ["ann@contoso.com"]
    assert anna_history.events["status"].tolist() == ["failure", "success"]
    assert set(anna_history.events["reportable_identifier"]) == {"anna@contoso.com"}


def test_events_with_no_id_at_all_are_found_by_their_name():
    """Nothing tells them apart, nor would narrow to one: no warning of several identities;
    with an identity that has the name, they count as nobody else."""
    zed = {"source_name": "Zed", "status": "skipped"}
    rows = [event("k1", "2026-11-18T10:00:00Z", **zed), event("k2", "2026-11-18T11:00:00Z", **zed)]
    known = event("z1", "2026-11-18T12:00:00Z", **zed, source_id="z-9")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _ids(A.identity_history(frames(rows), "zed")) == ["k1", "k2"]
        assert _ids(A.identity_history(frames([*rows, known]), "zed")) == ["k1", "k2", "z1"]
