"""pv.widgets driven as a new user would, mistakes included: every section of a widget counts
the events its result holds, and a value a control cannot take is said in the headline (the
control unchanged), never raised out of the control."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import provlytics as pv
from provlytics.widgets import (
    ConflictExplorer,
    ErrorExplorer,
    FilterBar,
    JobHealthPanel,
    OnDemandViewer,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
REFERENCE = "UnableToResolveReferenceAttributeValue"


@pytest.fixture(scope="module")
def frames() -> pv.ProvisioningFrames:
    return pv.load(SAMPLES, progress=False)


def section_sums(explorer: ErrorExplorer) -> dict[str, int]:
    return {name: int(table["events"].sum()) for name, table in explorer.sections.items()}


# --- ErrorExplorer: the sections cover the result's events ------------------------------


def test_every_section_of_a_code_family_counts_the_results_events(frames):
    explorer = ErrorExplorer(frames)
    explorer.controls["error_code"].value = "EntryConflict"
    explorer.controls["status"].value = "failure"
    result = explorer.result
    assert len(result) == 58
    assert (result["error_code"] == "SalesforceEntryConflict").sum() == 14
    assert section_sums(explorer) == dict.fromkeys(
        ["summary", "identities", "steps", "timeline"], 58
    )
    summary = explorer.sections["summary"].set_index("target_system_name")["events"]
    assert summary["Salesforce"] == 14
    identities = explorer.sections["identities"]
    salesforce = identities[identities["target_system_name"] == "Salesforce"]
    assert salesforce["events"].sum() == 14
    assert explorer.panel.headline == (
        "EntryConflict: 58 events, 17 identities "
        "(status: failure; incl. 14 SalesforceEntryConflict)"
    )


def test_the_failing_step_section_follows_the_status(frames):
    explorer = ErrorExplorer(frames, error_code=REFERENCE)
    explorer.controls["status"].value = "warning"
    assert len(explorer.result) == 49
    assert set(explorer.result["status"]) == {"warning"}
    assert section_sums(explorer) == dict.fromkeys(
        ["summary", "identities", "steps", "timeline"], 49
    )
    explorer.controls["status"].value = "failure"
    assert section_sums(explorer) == dict.fromkeys(
        ["summary", "identities", "steps", "timeline"], 38
    )
    assert len(explorer.result) == 38


# --- FilterBar: dates as text -----------------------------------------------------------


def test_an_iso_date_typed_into_the_bar_is_taken_as_that_day(frames):
    bar = FilterBar(frames)
    bar.controls["until"].value = "2026-11-19"
    assert bar.values["until"] == dt.date(2026, 11, 19)
    assert bar.selection["until"] == pd.Timestamp("2026-11-20", tz="UTC")
    kept = (frames.events["activity_time"] < pd.Timestamp("2026-11-20", tz="UTC")).sum()
    assert bar.panel.headline == (
        f"{kept:,} of 2,033 events selected: 2026-11-14 to 2026-11-19, both days included"
    )
    bar.controls["since"].value = pd.Timestamp("2026-11-18 00:00", tz="UTC")
    assert bar.values["since"] == dt.date(2026, 11, 18)
    bar.controls["since"].value = dt.date(2026, 11, 17)  # later changes still work
    assert bar.selection["since"] == pd.Timestamp("2026-11-17", tz="UTC")


def test_text_that_is_no_day_is_said_in_the_bar_and_the_day_kept(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar, error_code="DuplicateTargetEntries")
    bar.controls["until"].value = "2026-11-19"
    selection, events = dict(bar.selection), len(explorer.result)
    bar.controls["until"].value = "junk"
    assert bar.values["until"] == dt.date(2026, 11, 19)
    assert bar.panel.headline == (
        "To (incl.) 'junk' is not a day; give a datetime.date or ISO text such as "
        "'2026-11-19' (the day stays 2026-11-19)"
    )
    assert bar.selection == selection
    assert len(explorer.result) == events
    bar.controls["target_system"].value = "ServiceNow"  # the bar still answers
    assert bar.panel.headline.endswith(
        "events selected: 2026-11-14 to 2026-11-19, both days included"
    )
    assert set(explorer.result["target_system_name"]) == {"ServiceNow"}


def test_a_from_day_after_the_to_day_is_put_back_and_later_changes_apply(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar)
    explorer.controls["error_code"].value = "EntryConflict"
    bar.controls["since"].value = "2026-11-25"  # after the To day, 2026-11-22
    assert bar.values["since"] == dt.date(2026, 11, 14)  # back to the day in force
    assert bar.panel.headline == (
        "From 2026-11-25 is after To (incl.) 2026-11-22: no day is selected; pick a From day "
        "on or before the To day (the days stay 2026-11-14 to 2026-11-22, both days included)"
    )
    bar.controls["target_system"].value = "Slack"
    assert bar.panel.headline == (
        "383 of 2,033 events selected: 2026-11-14 to 2026-11-22, both days included"
    )
    assert len(explorer.result) == 15
    assert set(explorer.result["target_system_name"]) == {"Slack"}
    bar.controls["since"].value = "2026-11-20"  # the days still move
    assert bar.selection["since"] == pd.Timestamp("2026-11-20", tz="UTC")


def test_two_days_set_together_in_the_wrong_order_are_both_put_back(frames):
    bar = FilterBar(frames)
    with bar.quietly():
        bar.controls["since"].value = "2026-11-21"
        bar.controls["until"].value = "2026-11-18"
    assert (bar.values["since"], bar.values["until"]) == (
        dt.date(2026, 11, 14),
        dt.date(2026, 11, 22),
    )
    assert bar.panel.headline.startswith("From 2026-11-21 is after To (incl.) 2026-11-18")
    assert "since" in bar.selection and len(bar.frames.events) == 2033


@pytest.mark.parametrize(
    ("text", "day"),
    [("2026-11-19T10:00", "2026-11-19"), ("2026-11-19T23:30-05:00", "2026-11-20")],
)
def test_a_time_of_day_typed_into_the_bar_is_refused_not_dropped(frames, text, day):
    bar = FilterBar(frames)
    bar.controls["since"].value = text
    assert bar.values["since"] == dt.date(2026, 11, 14)
    assert len(bar.frames.events) == 2033
    assert bar.panel.headline == (
        f"From {text!r} has a time of day; the bar picks whole days (UTC): give a day such as "
        f"'{day}', or select by time with pv.analysis.filter_frames(frames, since={text!r}) "
        "(the day stays 2026-11-14)"
    )
    hint = pv.analysis.filter_frames(frames, since=text)  # the hint works as written
    assert 0 < len(hint.events) < 2033


def test_a_timestamp_with_a_time_is_refused_and_midnight_utc_taken(frames):
    bar = FilterBar(frames)
    bar.controls["until"].value = pd.Timestamp("2026-11-20 13:00", tz="UTC")
    assert bar.values["until"] == dt.date(2026, 11, 22)
    assert "until='2026-11-20T13:00:00+00:00'" in bar.panel.headline
    bar.controls["until"].value = pd.Timestamp("2026-11-20", tz="UTC")
    assert bar.values["until"] == dt.date(2026, 11, 20)
    assert bar.panel.headline.endswith("2026-11-14 to 2026-11-20, both days included")


def test_the_current_day_set_again_after_a_refusal_clears_the_notice(frames):
    bar = FilterBar(frames)
    bar.controls["until"].value = "2026-11-20"
    answer = bar.panel.headline
    bar.controls["until"].value = "junk"
    assert bar.panel.headline.startswith("To (incl.) 'junk' is not a day")
    bar.controls["until"].value = "2026-11-20"  # the same day: no change event
    assert bar.panel.headline == answer
    bar.controls["target_system"].value = "Slack"
    answer = bar.panel.headline
    bar.controls["target_system"].value = "Slakc"
    assert bar.panel.headline.startswith("Target system 'Slakc' is not present here")
    bar.controls["target_system"].value = "slack"  # the same system, as text
    assert bar.panel.headline == answer


def test_the_bars_to_day_is_included_where_filter_frames_until_is_not(frames):
    bar = FilterBar(frames)
    bar.controls["since"].value = "2026-11-19"
    bar.controls["until"].value = "2026-11-20"
    assert bar.controls["until"].description == "To (incl.)"
    assert bar.panel.headline == (
        "853 of 2,033 events selected: 2026-11-19 to 2026-11-20, both days included"
    )
    same = pv.analysis.filter_frames(frames, since="2026-11-19", until="2026-11-21")
    assert len(same.events) == 853 == len(bar.frames.events)
    assert bar.selection["until"] == pd.Timestamp("2026-11-21", tz="UTC")  # the day after To
    bar.controls["since"].value = "2026-11-20"
    assert bar.panel.headline.endswith("events selected: 2026-11-20 only")


# --- ErrorExplorer: the chosen code survives a narrower scope ---------------------------


def test_a_chosen_code_stays_through_a_scope_without_it_and_comes_back(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar)
    explorer.controls["error_code"].value = "SalesforceEntryConflict"
    assert len(explorer.result) == 14
    bar.controls["target_system"].value = "Slack"
    assert explorer.values["error_code"] == "SalesforceEntryConflict"
    assert explorer.controls["error_code"].label == "SalesforceEntryConflict (0)"
    assert explorer.result.empty
    assert explorer.panel.headline == (
        "SalesforceEntryConflict: no events in this scope (status: both); the code stays chosen"
    )
    bar.controls["target_system"].value = None
    assert explorer.values["error_code"] == "SalesforceEntryConflict"
    assert explorer.controls["error_code"].label == "SalesforceEntryConflict (14 failed)"
    assert len(explorer.result) == 14
    assert (
        explorer.panel.headline == "SalesforceEntryConflict: 14 events, 7 identities (status: both)"
    )


def test_a_code_never_chosen_follows_the_scope_to_its_largest(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar)
    bar.controls["target_system"].value = "Slack"
    slack = pv.analysis.filter_frames(frames, target_system="Slack")
    largest = pv.analysis.error_codes(slack)["error_code"].iloc[0]  # most failures first
    assert explorer.values["error_code"] == largest == "EntryConflict"
    assert "(0)" not in " ".join(label for label, _ in explorer.controls["error_code"].options)


def test_a_code_set_equal_to_the_one_shown_counts_as_chosen(frames):
    explorer = ErrorExplorer(frames)
    assert explorer.values["error_code"] == "EntryConflict"  # the default, largest
    explorer.controls["error_code"].value = "EntryConflict"  # no change event
    explorer.controls["status"].value = "warning"
    assert explorer.values["error_code"] == "EntryConflict"
    warned = pv.analysis.drilldown(frames, "EntryConflict", status="warning")
    assert len(explorer.result) == len(warned)
    explorer.controls["status"].value = "failure"
    assert explorer.values["error_code"] == "EntryConflict"
    assert explorer.panel.headline.startswith(
        "EntryConflict: 58 events, 17 identities (status: failure"
    )


def test_a_code_never_set_still_follows_the_status(frames):
    explorer = ErrorExplorer(frames, status="failure")
    explorer.controls["status"].value = "warning"
    largest = pv.analysis.error_codes(frames, status="warning")["error_code"].iloc[0]
    assert explorer.values["error_code"] == largest == REFERENCE


# --- one mechanism for every dropdown ---------------------------------------------------


def test_a_status_not_offered_is_said_and_text_in_any_case_is_taken(frames):
    explorer = ErrorExplorer(frames, error_code=REFERENCE)
    explorer.controls["status"].value = "failed"
    assert explorer.values["status"] == "both"
    assert explorer.panel.headline == (
        "Status 'failed' is not one of failure, warning, both (closest: failure); the "
        "selection stays as it was"
    )
    assert len(explorer.result) == 87
    explorer.controls["status"].value = "WARNING"
    assert explorer.values["status"] == "warning"
    assert len(explorer.result) == 49
    explorer.controls["error_code"].value = None  # traitlets lets None into any dropdown
    assert explorer.result.empty
    assert explorer.panel.headline == "no error code chosen; pick one of the 1 present"


def test_an_attribute_not_present_is_said_in_the_conflict_explorer(frames):
    explorer = ConflictExplorer(frames)
    explorer.controls["attribute"].value = "Email"
    assert explorer.values["attribute"] is None
    assert explorer.panel.headline == (
        "Matching attribute 'Email' is not present here; present: LastName, company, "
        "u_cost_center (of 3 present); the selection stays as it was"
    )
    assert len(explorer.result) == 66
    explorer.controls["attribute"].value = "lastname"
    assert explorer.values["attribute"] == "LastName"
    assert len(explorer.result) == 11


def test_the_job_panel_takes_any_alert_window_and_says_a_bad_one(frames):
    panel = JobHealthPanel(frames)
    panel.controls["window"].value = "3h"  # README's alerts example
    assert panel.values["window"] == "3h"
    expected = pv.analysis.alerts(frames, window="3h")
    assert len(panel.sections["alerts"]) == len(expected) == 2
    assert panel.panel.headline == "6 jobs, 1 quarantined, 2 alerts"
    panel.controls["window"].value = "3 hours a day"
    assert panel.values["window"] == "3h"
    assert panel.panel.headline == (
        "Alert window '3 hours a day' is not a duration such as '7d', '12h', '30min' or '2w' "
        "(the window stays '3h')"
    )
    assert len(panel.sections["alerts"]) == 2
    with pytest.raises(pv.ConfigError, match=r"^Alert window '0h' is not a positive duration"):
        JobHealthPanel(frames, window="0h")


def test_a_job_not_known_is_said_in_the_job_panel(frames):
    panel = JobHealthPanel(frames)
    panel.controls["job_id"].value = "nojob"
    assert panel.values["job_id"] is None
    assert panel.panel.headline == (  # the apps, not 6 ids of ~80 characters
        "Job 'nojob' is not present here; none of the 6 present is close; their apps: "
        "Contoso Expenses (SCIM), Salesforce, ServiceNow, Slack, Workday to Active Directory "
        "User Provisioning; the selection stays as it was"
    )
    assert len(panel.result) == 6


SCIM_JOB = "scim.f38b2ffc80a44f5a91c9bc701e7ea419.24114258-751b-4c83-89a0-47dc4ac87fc0"
WORKDAY_JOBS = [
    "Workday2AD.f38b2ffc80a44f5a91c9bc701e7ea419.cd73de00-81a0-4a05-ace9-da661dcf884c",
    "Workday2AD.f38b2ffc80a44f5a91c9bc701e7ea419.de0279e1-7f9a-4098-8df0-5f2595f19a51",
]


@pytest.mark.parametrize("widget", [FilterBar, JobHealthPanel])
def test_a_job_is_given_by_its_app_when_one_job_has_it(frames, widget):
    shown = widget(frames)
    answer = shown.panel.headline
    shown.controls["job_id"].value = "contoso expenses (SCIM)"
    assert shown.values["job_id"] == SCIM_JOB
    assert shown.panel.headline.startswith(
        f"Job 'contoso expenses (SCIM)' is the app of {SCIM_JOB}, selected; "
    )
    assert shown.panel.headline != answer
    if widget is FilterBar:  # the job's events only
        assert set(shown.frames.events["job_id"]) == {SCIM_JOB}
    else:  # the job's row only
        assert shown.result["job_id"].tolist() == [SCIM_JOB]
    shown.controls["job_id"].value = None  # said once: the next answer has no such note
    assert shown.panel.headline == answer


@pytest.mark.parametrize("widget", [FilterBar, JobHealthPanel])
def test_an_app_of_two_jobs_is_refused_naming_the_jobs_with_their_app(frames, widget):
    shown = widget(frames)
    answer = shown.panel.headline
    app = "Workday to Active Directory User Provisioning"
    shown.controls["job_id"].value = app
    assert shown.values["job_id"] is None
    named = ", ".join(f"{job} ({app})" for job in WORKDAY_JOBS)
    assert shown.panel.headline == (
        f"Job {app!r} is not present here; closest: {named} (of 6 present); the selection "
        "stays as it was"
    )
    shown.controls["job_id"].value = None  # as it was: the answer is back
    assert shown.panel.headline == answer


# --- OnDemandViewer takes a path --------------------------------------------------------


def test_the_on_demand_viewer_reads_a_saved_response_from_its_path():
    path = SAMPLES / "on-demand" / "success-update.json"
    viewer = OnDemandViewer(str(path))
    saved = OnDemandViewer(pv.read_on_demand_result(path))
    assert viewer.panel.headline == saved.panel.headline == "Success"
    pd.testing.assert_frame_equal(viewer.result, saved.result)
    assert len(viewer.result) == 4
    assert OnDemandViewer(SAMPLES / "on-demand" / "group-success.json").panel.headline == "Success"


def test_the_on_demand_viewer_says_what_it_takes():
    with pytest.raises(pv.ConfigError) as raised:
        OnDemandViewer(42)
    assert str(raised.value) == (
        "OnDemandViewer: takes an OnDemandResult (pv.provision_on_demand, "
        "pv.read_on_demand_result), ProvisioningFrames (pv.read_on_demand) or the path of a "
        "saved provisionOnDemand response; got int"
    )
    with pytest.raises(pv.InputError, match="no such file"):
        OnDemandViewer(SAMPLES / "on-demand" / "nope.json")


# --- None on a control, and the step-details checkbox ----------------------------------

SLACK_JOB = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
DROPDOWNS = {  # widget, control, a value not offered, one offered (as a user types it)
    "bar-job": (FilterBar, "job_id", "nojob", SLACK_JOB.upper()),
    "bar-target": (FilterBar, "target_system", "Slakc", "slack"),
    "conflict-kind": (ConflictExplorer, "kind", "conflict", "entryconflict"),
    "conflict-target": (ConflictExplorer, "target_system", "SAP", "Salesforce"),
    "conflict-attribute": (ConflictExplorer, "attribute", "Email", "lastname"),
    "panel-job": (JobHealthPanel, "job_id", "nojob", SLACK_JOB),
}


@pytest.mark.parametrize("case", DROPDOWNS)
def test_none_set_again_and_again_on_a_dropdown_shows_all_not_an_old_notice(frames, case):
    kind, name, bad, good = DROPDOWNS[case]
    widget, chosen = kind(frames), kind(frames)
    control = widget.controls[name]
    every = widget.panel.headline  # (all): None
    chosen.controls[name].value = good
    assert chosen.panel.headline != every
    control.value = bad
    assert " is not present here; " in widget.panel.headline
    assert control.value is None
    for _ in range(2):
        control.value = None
        assert widget.panel.headline == every
        assert control.label == "(all)"
    control.value = good
    assert widget.panel.headline == chosen.panel.headline
    assert control.value == chosen.controls[name].value
    control.value = None  # from a value back to all: the dropdown shows "(all)", not a blank
    assert (widget.panel.headline, control.label) == (every, "(all)")


def test_none_on_the_error_code_means_no_code_and_replaces_a_notice(frames):
    explorer = ErrorExplorer(frames)
    control = explorer.controls["error_code"]
    for value in ("bogus", None, "bogus", None, None):
        control.value = value
        if value is None:
            assert explorer.panel.headline == "no error code chosen; pick one of the 9 present"
            assert explorer.result.empty
        else:
            assert explorer.panel.headline.startswith("Error code 'bogus' is not present here")
    control.value = "entryconflict"
    assert explorer.panel.headline.startswith("EntryConflict: 58 events, 17 identities")


def test_none_is_no_status_and_no_alert_window(frames):
    explorer = ErrorExplorer(frames, error_code=REFERENCE)
    explorer.controls["status"].value = None
    assert explorer.values["status"] == "both"
    assert explorer.panel.headline == (
        "Status None is not one of failure, warning, both; the selection stays as it was"
    )
    assert len(explorer.result) == 87
    panel = JobHealthPanel(frames)
    panel.controls["window"].value = None
    assert panel.values["window"] == "1d"
    assert panel.panel.headline == (
        "Alert window None is not a duration such as 1h, 6h, 1d, 7d or 90min "
        "(the window stays '1d')"
    )
    assert len(panel.sections["alerts"]) == 9


def test_the_step_details_box_says_what_it_takes_and_stays(frames):
    viewer = OnDemandViewer(SAMPLES / "on-demand" / "skipped-redundant-export.json")
    verdict = viewer.panel.headline
    box = viewer.controls["details"]
    box.value = "yes"  # no TraitError out of the box
    assert box.value is False
    assert (
        viewer.panel.headline == "Step details 'yes' is not True or False (the box stays unticked)"
    )
    assert "<code>" not in viewer._repr_html_()
    box.value = False  # the same value: the answer again
    assert viewer.panel.headline == verdict
    box.value = 1  # as traitlets' Bool takes it
    assert box.value is True
    assert "<code>" in viewer._repr_html_()
    box.value = None
    assert box.value is True
    assert viewer.panel.headline == "Step details None is not True or False (the box stays ticked)"
    assert "<code>" in viewer._repr_html_()
