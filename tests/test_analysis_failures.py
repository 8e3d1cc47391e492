"""pv.analysis views: exact numbers on the eight-event world (tests/analysis_world.py) and on
the bundled samples; empty input gives empty frames with the documented columns."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import analysis_world as w
import pandas as pd
import payloads as p
import pytest

import provlytics as pv
from provlytics.analysis import activity, conflict_cases, failures

A = pv.analysis
UTC = "UTC"


def at(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{w.DAY} {hhmm}", tz=UTC)


@pytest.fixture
def frames(tmp_path: Path) -> pv.ProvisioningFrames:
    return w.world(tmp_path)


def rows(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The rows of some columns as plain tuples (NA as None)."""
    part = df[columns].astype(object)
    return [tuple(None if pd.isna(v) else v for v in r) for r in part.itertuples(index=False)]


# --- failure_summary -----------------------------------------------------------------------


def test_failure_summary_counts_failures_only_by_default(frames):
    summary = A.failure_summary(frames)
    assert list(summary.columns) == [*failures.SUMMARY_BY, *failures.SUMMARY_VALUES]
    assert rows(summary, ["error_code", "target_system_name", "action", "events", "share"]) == [
        ("DuplicateTargetEntries", "Salesforce", "update", 1, 0.125),
        ("EntryConflict", "Slack", "create", 1, 0.125),
        ("SlackEntryConflict", "Slack", "create", 1, 0.125),
        (w.BAD_RESPONSE, "Salesforce", "update", 1, 0.125),
    ]
    assert summary["events"].dtype == "int64" and summary["identities"].dtype == "int64"
    assert summary.loc[1, "recommended_action"] == "fix EntryConflict"
    assert summary.loc[1, "example_reason"] == "409 from Slack"


def test_failure_summary_by_target_counts_identities_with_fallback(frames):
    summary = A.failure_summary(frames, by=["target_system_name"])
    # Salesforce: carol (no source id: her UPN) and dave; Slack: alice twice
    assert rows(summary, ["target_system_name", "events", "identities", "share"]) == [
        ("Salesforce", 2, 2, 0.25),
        ("Slack", 2, 1, 0.25),
    ]
    assert rows(summary, ["first_seen", "last_seen", "example_reason"]) == [
        (at("12:05"), at("14:40"), w.BAD_RESPONSE),
        (at("10:00"), at("10:30"), "409 again"),
    ]


def test_failure_summary_both_adds_a_status_column(frames):
    summary = A.failure_summary(frames, by=["action"], status="both")
    assert list(summary.columns)[:2] == ["status", "action"]
    assert rows(summary, ["status", "action", "events"]) == [
        ("failure", "create", 2),
        ("failure", "update", 2),
        ("warning", "update", 1),
    ]
    warned = A.failure_summary(frames, by=["error_code"], status="Warning")
    assert rows(warned, ["error_code", "events"]) == [(w.REFERENCE, 1)]


def test_failure_summary_takes_one_column_as_text(frames, tmp_path):
    listed = A.failure_summary(frames, by=["error_code"])
    pd.testing.assert_frame_equal(A.failure_summary(frames, by="error_code"), listed)
    store = frames.to_parquet(tmp_path / "snap")
    on_path = A.failure_summary(store, by="error_code")
    assert rows(on_path, ["error_code", "events"]) == rows(listed, ["error_code", "events"])
    with pytest.raises(pv.ConfigError, match=r"no column\(s\) \['code'\]"):
        A.failure_summary(frames, by="code")


def test_failure_summary_rejects_unknown_column_and_status(frames):
    with pytest.raises(pv.ConfigError, match="no column"):
        A.failure_summary(frames, by=["nope"])
    with pytest.raises(pv.ConfigError, match="status must be one of"):
        A.failure_summary(frames, status="failed")


# --- drilldown, error_codes, failed_steps ---------------------------------------------------


def test_drilldown_is_family_aware_in_time_order_with_changes(frames):
    rows_ = A.drilldown(frames, "entryconflict")
    assert list(rows_.columns) == list(failures.DRILLDOWN_COLUMNS)
    assert rows(rows_, ["event_id", "error_code", "failed_step_name", "reportable_identifier"]) == [
        ("e1", "EntryConflict", "EntryExportAdd", "alice@contoso.com"),
        ("e2", "SlackEntryConflict", "EntryExportAdd", "alice@contoso.com"),
    ]
    assert (
        rows_.loc[0, "changes"] == "displayName: null -> 'Alice'; mail: null -> 'alice@contoso.com'"
    )
    assert pd.isna(rows_.loc[1, "changes"])
    assert rows_.loc[0, "service_principal_name"] == "Slack"
    assert rows_.loc[0, "cycle_id"] == "cycle-scim.A-10"


def test_drilldown_family_needs_a_word_boundary(frames):
    assert A.drilldown(frames, "Conflict")["event_id"].tolist() == ["e1", "e2"]
    with pytest.warns(UserWarning, match="'ntryConflict' is not present"):
        assert A.drilldown(frames, "ntryConflict").empty  # not a capitalised word


def test_drilldown_of_an_absent_code_names_the_closest(frames):
    with pytest.warns(UserWarning, match="'EntryConflit' is not present.*EntryConflict") as got:
        out = A.drilldown(frames, "EntryConflit")
    assert out.empty and list(out.columns) == list(failures.DRILLDOWN_COLUMNS)
    assert [w.filename for w in got] == [__file__]  # shown at the user's line


def test_drilldown_status_narrows_without_a_hint(frames):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert A.drilldown(frames, "EntryConflict", status="warning").empty


def test_drilldown_keeps_cleared_values_apart_from_nulls(tmp_path):
    record = w.records()[4]  # e5: department 'Sales' -> '' (cleared)
    record["provisioningStatusInfo"] = {"status": "failure", "errorInformation": {
        "errorCode": "Timeout", "reason": "slow"}}  # fmt: skip
    frames = pv.load(p.write_json(tmp_path / "one.json", p.graph_page(record)))
    assert A.drilldown(frames, "timeout")["changes"].tolist() == ["department: 'Sales' -> ''"]


def test_error_codes_count_failures_and_warnings_apart_failures_first(frames):
    assert rows(A.error_codes(frames), ["error_code", "events", "failures", "warnings"]) == [
        ("DuplicateTargetEntries", 1, 1, 0),
        ("EntryConflict", 1, 1, 0),
        ("SlackEntryConflict", 1, 1, 0),
        (w.BAD_RESPONSE, 1, 1, 0),
        (w.REFERENCE, 1, 0, 1),  # a warning: after every failing code
    ]
    assert len(A.error_codes(frames, status="failure")) == 4
    assert rows(A.error_codes(frames, status="warning"), ["error_code", "warnings"]) == [
        (w.REFERENCE, 1)
    ]


def test_error_codes_of_the_samples_rank_a_mostly_warned_code_by_its_failures(samples, tmp_path):
    codes = A.error_codes(samples)
    assert rows(codes.head(3), ["error_code", "events", "failures", "warnings"]) == [
        ("EntryConflict", 44, 44, 0),
        (w.REFERENCE, 87, 38, 49),
        ("DuplicateTargetEntries", 35, 35, 0),
    ]
    assert codes["failures"].sum() == 252 and codes["warnings"].sum() == 49
    on_path = A.error_codes(samples.to_parquet(tmp_path / "snap"))
    pd.testing.assert_frame_equal(on_path, codes)


def test_failed_steps_attributes_failures_to_steps(frames):
    out = A.failed_steps(frames)
    assert list(out.columns) == list(failures.FAILED_STEP_COLUMNS)
    assert rows(out, ["error_code", "failed_step_type", "failed_step_name", "events", "share"]) == [
        ("DuplicateTargetEntries", "matching", "EntryImport", 1, 1.0),
        ("EntryConflict", "export", "EntryExportAdd", 1, 1.0),
        ("SlackEntryConflict", "export", "EntryExportAdd", 1, 1.0),
        (w.BAD_RESPONSE, "matching", "EntryImport", 1, 1.0),
    ]


def test_failed_steps_of_warnings_names_the_step_that_warned(frames):
    warned = A.failed_steps(frames, status="warning")
    assert rows(warned, ["error_code", "failed_step_type", "failed_step_name", "events"]) == [
        (w.REFERENCE, "referenceResolution", "EntryReferenceResolution", 1),
    ]
    assert A.failed_steps(frames, status="both")["events"].sum() == len(frames.errors) == 5
    with pytest.raises(pv.ConfigError, match="status"):
        A.failed_steps(frames, status="failed")


# --- conflicts ------------------------------------------------------------------------------


def test_conflicts_kinds_attributes_and_values(frames):
    out = A.conflicts(frames)
    assert list(out.columns) == list(conflict_cases.CONFLICT_COLUMNS)
    got = rows(out, ["kind", "error_code", "reportable_identifier", "matching_attribute",
                     "matching_value", "events"])  # fmt: skip
    assert got == [
        ("matchingFailure", w.BAD_RESPONSE, "dave@contoso.com", "employeeId", "E42", 1),
        ("duplicateTargetEntries", "DuplicateTargetEntries", "carol@contoso.com", "email",
         "carol@contoso.com", 1),
        ("entryConflict", "SlackEntryConflict", "alice@contoso.com", None, None, 1),
        ("entryConflict", "EntryConflict", "alice@contoso.com", None, None, 1),
    ]  # fmt: skip
    assert out.loc[1, "source_id"] is pd.NA and out.loc[1, "job_id"] == w.JOB_B


@pytest.mark.parametrize(
    ("reason", "attribute", "value"),
    [
        ("Matching attribute 'employeeId' with value '21001' matched 2 users.", "employeeId",
         "21001"),
        ("Multiple entries matched: employeeID EQUALS '21001'", "employeeID", "21001"),
        ('GET /Users?filter=userName eq "carol@contoso.com" returned 2 resources', "userName",
         "carol@contoso.com"),
        ("matching attribute name \u2018mail\u2019, value: \u2018c@x.com\u2019", "mail",
         "c@x.com"),
        ("more than one user matched the matching attribute value 'C-17'", None, "C-17"),
        # a value that names an attribute of the frames is the attribute (e5 logs department)
        ("more than one user matched the matching attribute value 'department'", "department",
         None),
        ("the matching attribute 'mail' is not unique", "mail", None),
        ("two users match", None, None),
    ],
)  # fmt: skip
def test_conflicts_read_attribute_and_value_from_reason(tmp_path, reason, attribute, value):
    records = w.records()
    records[3]["provisioningStatusInfo"]["errorInformation"]["reason"] = reason
    frames = pv.load(p.write_json(tmp_path / "page.json", p.graph_page(*records)))
    out = A.conflicts(frames)
    carol = out[out["kind"] == "duplicateTargetEntries"]
    assert rows(carol, ["matching_attribute", "matching_value"]) == [(attribute, value)]


@pytest.mark.parametrize(
    ("other_reason", "attribute", "value"),
    [
        ("The attribute 'u_region' does not exist in the Slack schema.", "u_region", None),
        ("The value 'u_region' is not valid.", None, "u_region"),  # not named an attribute
    ],
)
def test_conflicts_take_a_value_another_error_names_an_attribute_as_the_attribute(
    tmp_path, other_reason, attribute, value
):
    records = w.records()
    records[3]["provisioningStatusInfo"]["errorInformation"]["reason"] = (
        "more than one user matched the matching attribute value 'u_region'"
    )
    records[7]["provisioningStatusInfo"]["errorInformation"]["reason"] = other_reason
    frames = pv.load(p.write_json(tmp_path / "page.json", p.graph_page(*records)))
    carol = A.conflicts(frames).query("kind == 'duplicateTargetEntries'")
    assert rows(carol, ["matching_attribute", "matching_value"]) == [(attribute, value)]


def test_conflicts_take_a_known_attribute_value_from_matching_step_details(tmp_path):
    records = w.records()
    records[3]["provisioningStatusInfo"]["errorInformation"]["reason"] = (
        "the matching attribute 'userName' is not unique"
    )
    records[3]["provisioningSteps"][1]["details"]["userName"] = "carol.c@contoso.com"
    frames = pv.load(p.write_json(tmp_path / "page.json", p.graph_page(*records)))
    carol = A.conflicts(frames).query("kind == 'duplicateTargetEntries'")
    assert rows(carol, ["matching_attribute", "matching_value"]) == [
        ("userName", "carol.c@contoso.com")
    ]


# --- step funnel, skips, timeline, success rate ---------------------------------------------


def test_step_funnel_counts_each_event_once_per_step_type(frames):
    out = A.step_funnel(frames, by=None)
    assert list(out.columns) == ["step_type", "events", "success", "skipped", "warning", "failure"]
    assert rows(out, list(out.columns)) == [
        ("import", 8, 8, 0, 0, 0),
        ("matching", 4, 2, 0, 0, 2),
        ("processing", 1, 0, 1, 0, 0),
        ("referenceResolution", 1, 0, 0, 1, 0),
        ("export", 5, 2, 1, 0, 2),
    ]


def test_step_funnel_by_job(frames):
    out = A.step_funnel(frames)
    assert rows(out[out["step_type"] == "export"], ["job_id", "events", "failure"]) == [
        (w.JOB_B, 2, 0),  # jobs in id order: salesforce.B, scim.A
        (w.JOB_A, 3, 2),
    ]
    with pytest.raises(pv.ConfigError, match="step_funnel"):
        A.step_funnel(frames, by="nope")


def test_step_funnel_by_several_columns_and_a_misspelled_one(frames):
    out = A.step_funnel(frames, by=["job_id", "action"])
    assert list(out.columns[:3]) == ["job_id", "action", "step_type"]
    export = out[out["step_type"] == "export"]
    by_job = A.step_funnel(frames)
    by_job = by_job[by_job["step_type"] == "export"]
    assert export.groupby("job_id")["events"].sum().to_dict() == dict(
        zip(by_job["job_id"], by_job["events"], strict=True)
    )
    assert len(export) > len(by_job)  # the actions split the jobs
    with pytest.raises(pv.ConfigError, match=r"no column\(s\) \['target_system'\]; closest: ") as e:
        A.step_funnel(frames, by="target_system")
    assert "target_system_name" in str(e.value) and "job_id" not in str(e.value)


def test_skip_reasons_mark_noise(frames):
    out = A.skip_reasons(frames)
    assert list(out.columns) == list(activity.SKIP_COLUMNS)
    assert rows(out, ["skip_reason", "events", "identities", "share", "noise", "first_seen"]) == [
        ("AttributeValidationFailed", 1, 1, 0.125, False, at("13:20")),
        ("RedundantExport", 1, 1, 0.125, True, at("13:00")),
    ]
    assert out["noise"].dtype == bool


def test_timeline_fills_every_bin_with_zeros(frames):
    out = A.timeline(frames, freq="1h")
    assert list(out.columns) == ["time", "error_code", "events"]
    assert len(out) == 5 * 4  # 10:00..14:00, four failure codes
    assert out["events"].sum() == 4
    assert out["time"].min() == at("10:00") and out["time"].max() == at("14:00")
    nonzero = out[out["events"] > 0]
    assert rows(nonzero, ["time", "error_code"]) == [
        (at("10:00"), "EntryConflict"),
        (at("10:00"), "SlackEntryConflict"),
        (at("12:00"), "DuplicateTargetEntries"),
        (at("14:00"), w.BAD_RESPONSE),
    ]


def test_timeline_without_split_and_with_warnings(frames):
    out = A.timeline(frames, freq="2h", by=None, status="both")
    assert rows(out, ["time", "events"]) == [(at("10:00"), 3), (at("12:00"), 1), (at("14:00"), 1)]
    with pytest.raises(pv.ConfigError, match="freq"):
        A.timeline(frames, freq="often")


def test_success_rate_is_a_ratio_with_skips_apart(frames):
    out = A.success_rate(frames, freq="1h")
    assert list(out.columns) == list(activity.RATE_COLUMNS)
    assert rows(out, ["success", "failure", "warning", "skipped", "events"]) == [
        (0, 2, 0, 0, 2),
        (0, 0, 1, 0, 1),
        (1, 1, 0, 0, 2),
        (0, 0, 0, 2, 2),
        (0, 1, 0, 0, 1),
    ]
    rates = out["success_rate"].tolist()
    assert rates[:3] == [0.0, 0.0, 0.5] and math.isnan(rates[3]) and rates[4] == 0.0
    day = A.success_rate(frames, freq="1d")
    assert rows(day, list(activity.RATE_COLUMNS)) == [
        (pd.Timestamp(w.DAY, tz=UTC), 1, 4, 1, 2, 8, 1 / 6)
    ]


# --- slowest, app x action, objects by type -------------------------------------------------


def test_slowest_leaves_out_events_without_duration(frames):
    out = A.slowest(frames, n=3)
    assert list(out.columns) == list(activity.SLOWEST_COLUMNS)
    assert rows(out, ["event_id", "duration_ms"]) == [("e2", 300), ("e5", 200), ("e1", 100)]
    assert len(A.slowest(frames, n=50)) == 7


def test_activity_by_app_splits_status(frames):
    out = A.activity_by_app(frames)
    assert list(out.columns) == list(activity.APP_COLUMNS)
    assert rows(out, list(activity.APP_COLUMNS)) == [
        ("Salesforce", "update", 2, 0, 2, 0, 0),
        ("Slack", "create", 2, 0, 2, 0, 0),
        ("Salesforce", "create", 1, 1, 0, 0, 0),
        ("Salesforce", "other", 1, 0, 0, 1, 0),
        ("Slack", "other", 1, 0, 0, 1, 0),
        ("Slack", "update", 1, 0, 0, 0, 1),
    ]


def test_objects_by_type_lower_cases_and_counts_distinct(frames):
    assert rows(A.objects_by_type(frames), ["source_type", "objects", "events"]) == [
        ("user", 4, 7),  # alice, bob (typed User and user), carol (by UPN), dave
        ("group", 1, 1),
    ]


# --- empty input ----------------------------------------------------------------------------

EMPTY_CALLS = {
    "failure_summary": lambda f: A.failure_summary(f, status="both"),
    "drilldown": lambda f: A.drilldown(f, "EntryConflict"),  # warns: no such code
    "error_codes": A.error_codes,
    "conflicts": A.conflicts,
    "step_funnel": A.step_funnel,
    "skip_reasons": A.skip_reasons,
    "timeline": A.timeline,
    "success_rate": A.success_rate,
    "slowest": A.slowest,
    "activity_by_app": A.activity_by_app,
    "objects_by_type": A.objects_by_type,
    "failed_steps": A.failed_steps,
}
EMPTY_COLUMNS = {
    "failure_summary": ["status", *failures.SUMMARY_BY, *failures.SUMMARY_VALUES],
    "drilldown": list(failures.DRILLDOWN_COLUMNS),
    "error_codes": ["error_code", "events", "failures", "warnings"],
    "conflicts": list(conflict_cases.CONFLICT_COLUMNS),
    "step_funnel": ["job_id", "step_type", "events", "success", "skipped", "warning", "failure"],
    "skip_reasons": list(activity.SKIP_COLUMNS),
    "timeline": ["time", "error_code", "events"],
    "success_rate": list(activity.RATE_COLUMNS),
    "slowest": list(activity.SLOWEST_COLUMNS),
    "activity_by_app": list(activity.APP_COLUMNS),
    "objects_by_type": list(activity.TYPE_COLUMNS),
    "failed_steps": list(failures.FAILED_STEP_COLUMNS),
}


@pytest.mark.filterwarnings("ignore:error code .EntryConflict. is not present:UserWarning")
@pytest.mark.parametrize("name", list(EMPTY_CALLS))
def test_empty_frames_give_empty_frames_with_the_columns(name):
    out = EMPTY_CALLS[name](pv.ProvisioningFrames())
    assert out.empty
    assert list(out.columns) == EMPTY_COLUMNS[name]
    if "events" in out.columns:
        assert out["events"].dtype == "int64"


def test_frames_of_successes_only_give_empty_failure_views(tmp_path):
    frames = pv.load(p.write_json(tmp_path / "ok.json", p.graph_page(w.records()[4])))
    assert A.failure_summary(frames).empty and A.conflicts(frames).empty
    assert A.timeline(frames).empty and A.failed_steps(frames).empty
    assert rows(A.success_rate(frames), ["success", "success_rate"]) == [(1, 1.0)]


def test_a_table_without_its_columns_is_an_input_error():
    class Frames:
        errors = pd.DataFrame({"event_id": ["x"]})  # a version-1-like table, no status

    with pytest.raises(pv.InputError, match="status"):
        A.failure_summary(Frames())


# --- the bundled samples --------------------------------------------------------------------


def test_samples_figures(samples):
    summary = A.failure_summary(samples, by=["error_code"])
    assert summary["events"].sum() == 252
    assert rows(summary.head(2), ["error_code", "events", "identities"]) == [
        ("EntryConflict", 44, 17),
        (w.REFERENCE, 38, 38),
    ]
    assert len(A.drilldown(samples, "EntryConflict")) == 44 + 14
    funnel = A.step_funnel(samples, by=None).set_index("step_type")
    assert funnel.loc["matching"].tolist() == [1719, 1684, 0, 0, 35]
    skips = A.skip_reasons(samples)
    assert rows(skips, ["skip_reason", "events", "noise"]) == [
        ("NotEffectivelyEntitled", 273, True),
        ("RedundantExport", 203, True),
        ("AttributeValidationFailed", 41, False),
    ]
    assert rows(A.objects_by_type(samples), ["source_type", "objects", "events"]) == [
        ("user", 543, 1806),
        ("group", 20, 227),
    ]
    cases = A.conflicts(samples)
    assert (len(cases), cases["events"].sum()) == (66, 44 + 14 + 35)
    # "matched the matching attribute value 'u_cost_center'" names ServiceNow's attribute
    # (other errors say "The attribute 'u_cost_center' does not exist ..."), not its value
    duplicates = cases[cases["kind"] == "duplicateTargetEntries"]
    keys = ["target_system_name", "matching_attribute", "matching_value"]
    counts = duplicates.groupby(keys, dropna=False)["events"].sum().reset_index()
    assert rows(counts, [*keys, "events"]) == [
        ("Active Directory", "company", "Contoso", 6),
        ("Active Directory", "company", None, 4),
        ("Salesforce", "LastName", "Brown", 4),
        ("Salesforce", "LastName", "Kowalczyk", 1),
        ("Salesforce", "LastName", "Patel", 1),
        ("Salesforce", "LastName", None, 7),
        ("ServiceNow", "u_cost_center", None, 12),
    ]
    rate = A.success_rate(samples)
    assert (rate["events"].sum(), rate["success"].sum(), len(rate)) == (2033, 1215, 9)


def test_views_of_a_parquet_dataset_equal_those_of_the_loaded_frames(frames, tmp_path):
    back = pv.read_parquet(frames.to_parquet(tmp_path / "dataset"))
    for view in (A.failure_summary, A.conflicts, A.step_funnel, A.success_rate, A.skip_reasons):
        pd.testing.assert_frame_equal(view(back), view(frames))
    pd.testing.assert_frame_equal(
        A.drilldown(back, "EntryConflict"), A.drilldown(frames, "EntryConflict")
    )


def test_a_conflict_case_names_both_accounts_of_one_person_by_their_own_name(samples):
    """The samples' conflicts come from a person's second Entra account (UPN in corp.) meeting
    the first one's object in the app: both accounts carry the person's name ("Łukasz Brown",
    never an ASCII-stripped "ukasz Brown") and are told apart by UPN and object id."""
    twin, first = "lukasz.brown98@corp.contoso.com", "lukasz.brown98@contoso.com"
    cases = A.conflicts(samples)
    mine = cases[cases["reportable_identifier"] == twin]
    assert set(mine["kind"]) == {"entryConflict", "duplicateTargetEntries"}
    assert set(mine["source_name"]) == {"Łukasz Brown"}
    assert first not in set(cases["reportable_identifier"])  # the account in the app is no case
    errors = samples.errors
    hits = errors[(errors["reportable_identifier"] == twin) & coded(errors, mine["error_code"])]
    assert len(hits) == mine["events"].sum() == 16
    assert set(hits["target_name"]) == {"Łukasz Brown"}
    assert hits["error_details"].str.contains(f"conflicts with '{first}'").all()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a UPN names one identity: no "matches 2 identities"
        theirs = A.identity_history(samples, first).events
    assert set(theirs["reportable_identifier"]) == {first}
    assert set(theirs["source_name"]) == {"Łukasz Brown"}
    bare = {i.replace("-", "") for i in theirs["source_id"]}
    assert bare.isdisjoint(i.replace("-", "") for i in mine["source_id"])
    in_salesforce = theirs[theirs["target_system_name"] == "Salesforce"]["target_id"].dropna()
    hit_salesforce = hits[hits["target_system_name"] == "Salesforce"]["target_id"]
    assert set(hit_salesforce) == set(in_salesforce) and len(in_salesforce.unique()) == 1

    every = errors[
        coded(errors, cases["error_code"])
        & errors["error_details"].str.contains("conflicts with", na=False)
    ]
    assert len(every) == cases["events"].sum()  # each case is a twin's
    assert (every["source_name"] == every["target_name"]).all()
    assert "佐藤 花子" in set(every["source_name"])  # a name without Latin letters kept too


def coded(errors: pd.DataFrame, codes: pd.Series) -> pd.Series:
    """Which `errors` rows have one of `codes`."""
    return errors["error_code"].isin(set(codes)).fillna(False)
