"""`cycles`, `attribute_changes` and `identity_history`: exact figures on hand-built tables and
on the bundled samples."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from analysis_frames import event, frames, plain, utc

import provlytics as pv
from provlytics.analysis.changes import CHANGE_COLUMNS
from provlytics.analysis.history import (
    APP_COLUMNS,
    CYCLE_COLUMNS,
    HISTORY_EVENT_COLUMNS,
    HISTORY_STEP_COLUMNS,
)

A = pv.analysis


def _cycle_frames() -> pv.ProvisioningFrames:
    a = {"job_id": "jobA"}
    return frames(
        [
            event(
                "e1",
                "2026-11-18T10:00:00Z",
                **a,
                cycle_id="c1",
                action="create",
                status="success",
                source_id="u1",
            ),
            event(
                "e2",
                "2026-11-18T10:05:00Z",
                **a,
                cycle_id="c1",
                action="update",
                status="failure",
                source_id="u2",
            ),
            event(
                "e3",
                "2026-11-18T10:10:00Z",
                **a,
                cycle_id="c1",
                action="update",
                status="skipped",
                source_id="u3",
            ),
            event(
                "e4",
                "2026-11-18T10:20:00Z",
                **a,
                cycle_id="c1",
                action="create",
                status="success",
                source_id="u1",
            ),
            event(
                "e5",
                "2026-11-18T11:00:00Z",
                **a,
                cycle_id="c2",
                action="delete",
                status="warning",
                source_id="u4",
            ),
            event(
                "e6",
                "2026-11-18T10:30:00Z",
                job_id="jobB",
                cycle_id="c3",
                action="disable",
                status="failure",
                reportable_identifier="bob@contoso.com",
            ),
            event(
                "e7",
                "2026-11-18T10:40:00Z",
                job_id="jobB",
                action="update",
                status="success",
                source_id="u9",
            ),  # on-demand: no cycle
        ]
    )


def test_cycles_span_counts_and_action_status_matrix():
    out = A.cycles(_cycle_frames())

    assert out.columns.tolist() == [
        *CYCLE_COLUMNS,
        "create_success",
        "update_failure",
        "update_skipped",
        "delete_warning",
        "disable_failure",
    ]
    assert out["cycle_id"].tolist() == ["c1", "c3", "c2"]  # by start
    first = out.iloc[0]
    assert (first["start"], first["end"]) == (utc("2026-11-18T10:00"), utc("2026-11-18T10:20"))
    assert first["duration_s"] == 1200.0
    assert out["events"].tolist() == [4, 1, 1]
    assert out["identities"].tolist() == [3, 1, 1]  # u1 twice; bob by his UPN
    assert out[["success", "failure", "skipped", "warning"]].values.tolist() == [
        [2, 1, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1],
    ]
    assert out["failure_rate"].tolist() == [1 / 3, 1.0, 0.0]  # skips apart
    assert out["create_success"].tolist() == [2, 0, 0]
    assert out["disable_failure"].tolist() == [0, 1, 0]
    assert out["events"].dtype == "int64" and out["duration_s"].dtype == "float64"


def test_cycle_with_only_skips_has_no_failure_rate():
    only_skips = frames(
        [
            event(
                "e1",
                "2026-11-18T10:00:00Z",
                job_id="j",
                cycle_id="c",
                action="other",
                status="skipped",
                source_id="u",
            )
        ]
    )
    out = A.cycles(only_skips)
    assert math.isnan(out.loc[0, "failure_rate"])
    assert out.loc[0, "other_skipped"] == 1


def test_cycles_on_the_samples(samples):
    out = A.cycles(samples)

    assert len(out) == 1005
    assert out["events"].sum() == 2030  # the 3 on-demand events have no cycle
    biggest = out.loc[out["events"].idxmax()]
    assert biggest["cycle_id"] == "44b266ae-d9e0-48a2-90d3-6db36c0dbc50"
    assert biggest["job_id"].startswith("salesforce.")
    assert biggest["service_principal_name"] == "Salesforce"
    apps = out.groupby("job_id")["service_principal_name"].unique()
    assert apps.map(len).eq(1).all()  # one app per job
    assert biggest["duration_s"] == pytest.approx(2307.969254)
    assert biggest[["success", "failure", "skipped", "warning"]].tolist() == [8, 3, 12, 2]
    assert biggest["failure_rate"] == pytest.approx(3 / 13)
    assert biggest[["create_failure", "delete_failure", "other_skipped"]].tolist() == [2, 1, 10]


def _change_frames() -> pv.ProvisioningFrames:
    ctx = {"job_id": "j", "action": "update", "status": "success", "target_system_name": "AD"}
    match = {"step_type": "matching", "status": "success"}
    return frames(
        [
            event("e1", "2026-11-18T10:00:00Z", **ctx, source_id="u1"),
            event("e2", "2026-11-18T11:00:00Z", **ctx, source_id="u2"),
            event("e3", "2026-11-18T12:00:00Z", **ctx, source_id="u3"),
        ],
        steps=[
            {
                "event_id": "e1",
                "step_index": 0,
                "name": "EntryImportUpdate",
                "step_type": "import",
                "details": '{"department": "Import value"}',
            },
            {
                "event_id": "e1",
                "step_index": 1,
                "name": "EntryImport",
                **match,
                "details": '{"department": "Sales", "JobTitle": "Engineer", "id": "t1"}',
            },
            {
                "event_id": "e1",
                "step_index": 2,
                "name": "EntryImportByMatchingProperty",
                **match,
                "details": '{"manager": "second matching step, not read"}',
            },
            {
                "event_id": "e2",
                "step_index": 0,
                "name": "EntryImport",
                **match,
                "details": '{\n  "accountDisabled": "True"\n}',  # pretty-printed
            },
        ],
        properties=[
            {
                "event_id": "e1",
                "property_index": 0,
                "name": "department",
                "old_value": None,
                "new_value": "Finance",
            },
            {
                "event_id": "e1",
                "property_index": 1,
                "name": "jobTitle",
                "old_value": "Analyst",
                "new_value": "Lead",
            },
            {
                "event_id": "e1",
                "property_index": 2,
                "name": "manager",
                "old_value": None,
                "new_value": "m1",
            },
            {
                "event_id": "e2",
                "property_index": 0,
                "name": "accountDisabled",
                "old_value": None,
                "new_value": "False",
            },
            {
                "event_id": "e3",
                "property_index": 0,
                "name": "accountDisabled",
                "old_value": "False",
                "new_value": "True",
            },
        ],
    )


def test_attribute_changes_backfill_disagreement_and_account_noise():
    out = A.attribute_changes(_change_frames())

    assert out.columns.tolist() == CHANGE_COLUMNS
    assert out["attribute"].tolist() == [
        "department",
        "jobTitle",
        "manager",
        "accountDisabled",
        "accountDisabled",
    ]
    assert plain(out["old_value"]) == ["Sales", "Analyst", None, "True", "False"]
    assert out["old_value_backfilled"].tolist() == [True, False, False, True, False]
    assert out["disagrees"].tolist() == [False, True, False, False, False]
    assert out["only_account_disabled"].tolist() == [False, False, False, True, False]
    assert out["target_system_name"].tolist() == ["AD"] * 5


def test_attribute_changes_of_one_attribute_case_insensitively():
    out = A.attribute_changes(_change_frames(), "DEPARTMENT")
    assert out[["event_id", "old_value", "new_value"]].values.tolist() == [
        ["e1", "Sales", "Finance"]
    ]


def test_date_like_target_values_are_back_filled_as_logged():
    dated = frames(
        [event("e1", "2026-11-18T10:00:00Z", job_id="j", action="update", status="success")],
        steps=[
            {"event_id": "e1", "step_index": 0, "name": "entryimport", "step_type": "matching",
             "details": '{"hireDate": "2026-01-01", "startDate": "2026-02-01T08:00:00Z"}'},
        ],
        properties=[
            {"event_id": "e1", "property_index": 0, "name": "HireDate", "old_value": None,
             "new_value": "2026-03-01"},
            {"event_id": "e1", "property_index": 1, "name": "startDate",
             "old_value": "2026-02-01T08:00:00Z", "new_value": None},
        ],
    )  # fmt: skip
    out = A.attribute_changes(dated)
    assert out["old_value"].tolist() == ["2026-01-01", "2026-02-01T08:00:00Z"]
    assert out["old_value_backfilled"].tolist() == [True, False]
    assert out["disagrees"].tolist() == [False, False]


def test_attribute_changes_on_the_samples(samples):
    out = A.attribute_changes(samples)

    assert len(out) == 5259
    assert out["old_value"].isna().sum() == 3915
    # the samples' matching steps list only id and displayName, which updates never change,
    # and their account-state noise always comes with a real change
    assert out["old_value_backfilled"].sum() == 0
    assert out["only_account_disabled"].sum() == 0
    assert len(A.attribute_changes(samples, "department")) == 707


def _person_frames() -> pv.ProvisioningFrames:
    alice = {"source_id": "a-1", "reportable_identifier": "alice@contoso.com"}
    return frames(
        [
            event(
                "e2",
                "2026-11-18T11:00:00Z",
                **alice,
                job_id="j1",
                action="update",
                status="failure",
                error_code="EntryConflict",
                service_principal_id="sp1",
                service_principal_name="Slack",
                target_system_name="Slack",
            ),
            event(
                "e1",
                "2026-11-18T10:00:00Z",
                **alice,
                job_id="j1",
                action="create",
                status="success",
                service_principal_id="sp1",
                service_principal_name="Slack",
                target_system_name="Slack",
            ),
            event(
                "e3",
                "2026-11-18T12:00:00Z",
                **alice,
                job_id="j2",
                action="create",
                status="success",
                service_principal_id="sp2",
                service_principal_name="Box",
                target_system_name="Box",
            ),
            event(
                "e4",
                "2026-11-18T12:30:00Z",
                source_id="b-2",
                job_id="j1",
                action="create",
                status="success",
                target_name="alice@contoso.com.au",
            ),
        ],
        steps=[
            {
                "event_id": "e2",
                "step_index": 1,
                "name": "EntryExportUpdate",
                "step_type": "export",
                "status": "failure",
            },
            {"event_id": "e2", "step_index": 0, "name": "EntryImport", "step_type": "import"},
            {"event_id": "e1", "step_index": 0, "name": "EntryImportAdd", "step_type": "import"},
            {"event_id": "e4", "step_index": 0, "name": "EntryImportAdd", "step_type": "import"},
        ],
        properties=[
            {
                "event_id": "e2",
                "property_index": 0,
                "name": "department",
                "old_value": "A",
                "new_value": "B",
            },
            {
                "event_id": "e4",
                "property_index": 0,
                "name": "department",
                "old_value": None,
                "new_value": "C",
            },
        ],
        errors=[
            {
                "event_id": "e2",
                "activity_time": "2026-11-18T11:00:00Z",
                "job_id": "j1",
                "error_code": "EntryConflict",
                "failed_step_name": "EntryExportUpdate",
                "failed_step_type": "export",
            },
        ],
    )


def test_identity_history_by_upn_in_any_case():
    history = A.identity_history(_person_frames(), "ALICE@contoso.com")

    assert history.events.columns.tolist() == HISTORY_EVENT_COLUMNS
    assert history.events["event_id"].tolist() == ["e1", "e2", "e3"]
    assert plain(history.events["failed_step_type"]) == [None, "export", None]
    assert plain(history.events["changes"]) == [None, "department: 'A' -> 'B'", None]
    assert history.steps.columns.tolist() == HISTORY_STEP_COLUMNS
    assert history.steps[["event_id", "step_index"]].values.tolist() == [
        ["e1", 0],
        ["e2", 0],
        ["e2", 1],
    ]
    assert history.steps["activity_time"].iloc[1] == utc("2026-11-18T11:00")
    assert history.changes["event_id"].tolist() == ["e2"]
    assert history.apps.columns.tolist() == APP_COLUMNS
    assert history.apps[["service_principal_name", "events", "last_status"]].values.tolist() == [
        ["Box", 1, "success"],
        ["Slack", 2, "failure"],
    ]
    assert history.apps.loc[1, "first_seen"] == utc("2026-11-18T10:00")


def test_identity_history_by_object_id_equals_by_upn():
    by_id = A.identity_history(_person_frames(), "A-1")
    assert by_id.events["event_id"].tolist() == ["e1", "e2", "e3"]


def test_identity_history_of_nobody_is_empty_and_warns():
    with pytest.warns(UserWarning) as caught:
        history = A.identity_history(_person_frames(), " nobody@contoso.com ")

    assert history.events.empty and history.steps.empty and history.apps.empty
    assert history.changes.columns.tolist() == CHANGE_COLUMNS
    assert [str(w.message) for w in caught] == [
        "identity_history: no event names 'nobody@contoso.com' "
        "(compared with object ids, display names and UPNs)"
    ]
    assert caught[0].filename == __file__


def test_identity_history_on_the_samples(samples):
    history = A.identity_history(samples, "LUKASZ.BROWN98@corp.contoso.com")

    assert len(history.events) == 21
    assert history.events["status"].value_counts().to_dict() == {"failure": 17, "success": 4}
    assert history.events["activity_time"].is_monotonic_increasing
    assert (len(history.steps), len(history.changes)) == (77, 108)
    assert history.apps[["target_system_name", "events"]].values.tolist() == [
        ["Salesforce", 8],
        ["Active Directory", 5],
        ["Slack", 3],
        ["ServiceNow", 4],
        ["customappsso", 1],
    ]


@pytest.mark.filterwarnings("error")  # no UserWarning: nothing to name
def test_empty_frames_give_the_documented_columns():
    empty = pv.ProvisioningFrames()

    assert A.cycles(empty).columns.tolist() == CYCLE_COLUMNS
    assert A.attribute_changes(empty).columns.tolist() == CHANGE_COLUMNS
    history = A.identity_history(empty, "x")  # nothing to warn about: no event at all
    assert history.events.columns.tolist() == HISTORY_EVENT_COLUMNS
    assert history.apps.columns.tolist() == APP_COLUMNS
    assert all(t.empty for t in (history.events, history.steps, history.changes, history.apps))


def test_a_upn_whose_events_carry_two_source_ids_is_one_identity():
    """Workday to AD logs the worker id as source_id, other apps the Entra object id: one UPN
    is one person, asked by UPN or by display name; another source id without a UPN is not."""
    ann = {"source_name": "Ann Lee", "reportable_identifier": "ann@contoso.com"}
    rows = [
        event("w1", "2026-11-18T10:00:00Z", source_id="wid-7", **ann),
        event("s1", "2026-11-18T11:00:00Z", source_id="0b1c", **ann),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(A.identity_history(frames(rows), "ANN@contoso.com").events) == 2
        assert len(A.identity_history(frames(rows), "ann lee").events) == 2
    other = event("o1", "2026-11-18T12:00:00Z", source_id="0b1d", source_name="Ann Lee")
    with pytest.warns(UserWarning) as caught:
        assert len(A.identity_history(frames([*rows, other]), "ann lee").events) == 3
    assert [str(w.message) for w in caught] == [
        "identity_history: 'ann lee' matches 2 distinct identities (UPNs: ann@contoso.com); "
        "pass the UPN or object id to narrow it to one"
    ]


def test_a_name_without_its_accents_finds_the_accented_one(samples) -> None:
    with pytest.warns(UserWarning) as exact_caught:
        exact = A.identity_history(samples, "Łukasz Brown")
    with pytest.warns(UserWarning) as caught:
        plain = A.identity_history(samples, "lukasz brown")
    pd.testing.assert_frame_equal(plain.events, exact.events)
    upns = sorted(exact.events["reportable_identifier"].unique())
    assert (len(upns), len(exact.events)) == (3, 32)  # 7 + 4, and the twin's 21 events whole
    several = (
        f"matches {len(upns)} distinct identities (UPNs: {', '.join(upns)}); pass the UPN or "
        "object id to narrow it to one"
    )
    assert [str(w.message) for w in exact_caught] == [f"identity_history: 'Łukasz Brown' {several}"]
    assert [str(w.message) for w in caught] == [
        "identity_history: no event names 'lukasz brown' exactly; showing the events of "
        "'Łukasz Brown' (accents and case ignored)",
        f"identity_history: 'lukasz brown' {several}",
    ]


@pytest.mark.parametrize(
    ("logged", "typed"),
    [
        ("Oğuz Yılmaz", "Oguz Yilmaz"),  # the dotless ı
        ("Łukasz Wałęsa", "lukasz walesa"),
        ("Søren Ødegaard", "Soren Odegaard"),
        ("Đorđe Đokić", "Dorde Dokic"),
        ("Guðrún Þórsdóttir", "Gudrun Thorsdottir"),
        ("Ægir Strauß", "AEGIR STRAUSS"),
        ("Œdipe Bœuf", "Oedipe Boeuf"),
        ("Ħanna Ŧaro", "Hanna Taro"),
    ],
)
def test_a_name_typed_without_letters_nfkd_keeps_whole_finds_the_logged_one(
    logged, typed, tmp_path
) -> None:
    """ł, ø, đ, ð, þ, ı, ß, æ, œ, ħ, ŧ have no accent NFKD can drop: they are read as the
    plain letters a person types for them, as the sample generator spells its aliases."""
    person = {"source_name": logged, "reportable_identifier": "p@contoso.com"}
    rows = [
        event("e1", "2026-11-18T10:00:00Z", source_id="u1", **person),
        event("e2", "2026-11-18T11:00:00Z", source_id="u1", **person),
        event("o1", "2026-11-18T12:00:00Z", source_id="u2", source_name="Oguz Yildiz"),
    ]
    snap = frames(rows).to_parquet(tmp_path / "snap")
    for source in (frames(rows), snap):
        with pytest.warns(UserWarning) as caught:
            history = A.identity_history(source, typed)
        assert sorted(history.events["event_id"]) == ["e1", "e2"]
        assert [str(w.message) for w in caught] == [
            f"identity_history: no event names {typed!r} exactly; showing the events of "
            f"{logged!r} (accents and case ignored)"
        ]


@pytest.mark.parametrize("who", ["Łukasz Brown", "Grace García", "Mónica Müller"])
def test_a_shared_name_on_the_samples_gives_whole_identities(samples, who) -> None:
    """Every event of each identity found, and only identities that bear the name as their
    own (not as the target account a failed create ran into); counts change with the
    samples, these relations do not."""
    with pytest.warns(UserWarning, match="distinct identities"):
        history = A.identity_history(samples, who)
    events = samples.events
    upns = set(history.events["reportable_identifier"])
    assert len(upns) >= 2
    theirs = events[events["reportable_identifier"].isin(upns)]
    assert sorted(history.events["event_id"]) == sorted(theirs["event_id"])
    own = theirs["source_name"].eq(who) | (
        theirs["source_name"].isna() & theirs["target_name"].eq(who)
    )
    assert set(theirs.loc[own.fillna(False).to_numpy(bool), "reportable_identifier"]) == upns
    named = events[events["source_name"].eq(who).fillna(False).to_numpy(bool)]
    assert set(named["reportable_identifier"]) <= upns


def test_a_name_that_matches_nothing_names_the_closest(samples, tmp_path) -> None:
    snap = samples.to_parquet(tmp_path / "snap")
    for source in (samples, snap):
        with pytest.warns(UserWarning) as caught:
            out = A.identity_history(source, "Lukas Brwn")
        assert out.events.empty
        assert [str(w.message) for w in caught] == [
            "identity_history: no event names 'Lukas Brwn' (compared with object ids, display "
            "names and UPNs); closest present: Łukasz Brown"
        ]
