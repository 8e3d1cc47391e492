"""pv.widgets: set control values in code, assert the recomputed `.result` (no browser)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from widgetpage import live_html, widget_blocks

import provlytics as pv
from provlytics.widgets import (
    ConflictExplorer,
    ErrorExplorer,
    FilterBar,
    IdentityInspector,
    JobHealthPanel,
    OnDemandViewer,
)
from provlytics.widgets.render import MAX_ROWS, frame_html

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
ON_DEMAND = SAMPLES / "on-demand"


@pytest.fixture(scope="module")
def frames() -> pv.ProvisioningFrames:
    return pv.load(SAMPLES, progress=False)


# --- OnDemandViewer ---------------------------------------------------------------------


def test_on_demand_viewer_marks_the_failing_export_step():
    viewer = OnDemandViewer(pv.read_on_demand_result(ON_DEMAND / "failure-scim-bad-response.json"))
    steps = viewer.result
    assert steps["name"].tolist() == [
        "EntryImportUpdate",
        "EntryImport",
        "EntrySynchronizationScoping",
        "EntryExportUpdate",
    ]
    assert steps["failing"].tolist() == [False, False, False, True]
    assert viewer.panel.headline.startswith(
        "Failure · SystemForCrossDomainIdentityManagementBadResponse · Message: The SCIM endpoint"
    )
    html = viewer._repr_html_()
    assert html.count('class="pv-failing"') == 1
    assert "<b>FAILED</b> ✗ <b>EntryExportUpdate</b>" in html
    assert "4. FAILED ✗ EntryExportUpdate (export, failure)" in repr(viewer)


def test_on_demand_viewer_takes_the_verdict_of_an_on_demand_result():
    viewer = OnDemandViewer(pv.read_on_demand_result(ON_DEMAND / "group-success.json"))
    assert viewer.panel.headline == "Success"  # value "{}": the verdict only in the key
    assert viewer.result.empty
    assert list(viewer.result.columns) == [
        "step_index", "name", "step_type", "status", "description", "timestamp", "details",
        "failing",
    ]  # fmt: skip


def test_bare_frames_of_a_response_without_event_say_where_the_verdict_is():
    viewer = OnDemandViewer(pv.read_on_demand(ON_DEMAND / "group-success.json"))
    assert viewer.panel.headline == (
        "no event in the response (pv.read_on_demand_result keeps the verdict)"
    )


def test_on_demand_viewer_shows_no_failing_step_on_a_skip_and_details_on_request():
    viewer = OnDemandViewer(pv.read_on_demand(ON_DEMAND / "skipped-redundant-export.json"))
    assert viewer.panel.headline.startswith("Skipped · RedundantExport · The state of the entry")
    assert not viewer.result["failing"].any()
    assert "<code>" not in viewer._repr_html_()
    viewer.controls["details"].value = True
    assert "<code>" in viewer._repr_html_()


def test_on_demand_viewer_lists_the_modified_properties():
    viewer = OnDemandViewer(pv.read_on_demand(ON_DEMAND / "success-update.json"))
    block = next(b for b in viewer.panel.blocks if b.title == "Modified properties")
    assert block.frame["name"].tolist() == ["accountDisabled", "department", "jobTitle"]
    assert block.frame["new_value"].tolist() == ["False", "Finance", "Sachbearbeiterin"]


def test_a_widget_offers_the_live_view_with_static_fallbacks():
    viewer = OnDemandViewer(pv.read_on_demand(ON_DEMAND / "failure-scim-bad-response.json"))
    bundle = viewer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == viewer.view.model_id
    assert bundle["text/html"] == viewer._repr_html_()
    assert bundle["text/plain"].startswith("OnDemandViewer(details=False)\nFailure · ")
    kinds = [next(iter(item["data"])) for item in viewer.output.outputs]
    assert kinds == ["text/html"] * 4  # headline, steps, properties, event


# --- FilterBar and ErrorExplorer --------------------------------------------------------


def _errors(frames: pv.ProvisioningFrames, code: str, since: str | None = None) -> pd.DataFrame:
    """The errors rows of one code (the truth the widgets are checked against)."""
    errors = frames.errors[frames.errors["error_code"] == code]
    if since is not None:
        errors = errors[errors["activity_time"] >= pd.Timestamp(since, tz="UTC")]
    return errors


def test_error_explorer_offers_the_most_failing_codes_first_and_starts_on_the_first(frames):
    """UnableToResolveReferenceAttributeValue has 87 events, but 49 are warnings: the 44
    failures of EntryConflict come first; warnings are counted apart."""
    explorer = ErrorExplorer(frames)
    options = explorer.controls["error_code"].options
    reference = "UnableToResolveReferenceAttributeValue"
    assert options[:3] == (
        ("EntryConflict (44 failed)", "EntryConflict"),
        (f"{reference} (38 failed, 49 warned)", reference),
        ("DuplicateTargetEntries (35 failed)", "DuplicateTargetEntries"),
    )
    assert len(explorer.result) == 44 + 14  # its family: SalesforceEntryConflict too
    explorer.controls["status"].value = "warning"
    assert explorer.controls["error_code"].options == ((f"{reference} (49 warned)", reference),)


def test_choosing_a_code_leaves_only_that_codes_events(frames):
    explorer = ErrorExplorer(frames)
    explorer.controls["error_code"].value = "DuplicateTargetEntries"
    result = explorer.result
    assert result["error_code"].unique().tolist() == ["DuplicateTargetEntries"]
    expected = _errors(frames, "DuplicateTargetEntries")
    assert sorted(result["event_id"]) == sorted(expected["event_id"])
    assert result["reportable_identifier"].nunique() == 11
    assert (
        explorer.panel.headline == "DuplicateTargetEntries: 35 events, 19 identities (status: both)"
    )
    summary = pv.analysis.failure_summary(frames, by="error_code")
    assert summary.set_index("error_code").loc["DuplicateTargetEntries", "identities"] == 19
    assert len(explorer.sections["identities"]) > 19  # a row per identity and target system
    steps = explorer.sections["steps"]
    assert steps["events"].sum() == 35
    assert set(explorer.sections["identities"]["reportable_identifier"]) == set(
        expected["reportable_identifier"]
    )
    assert explorer.sections["timeline"]["events"].sum() == 35
    assert [b.title for b in explorer.panel.blocks if b.png is not None] == ["Timeline"]


def _shown(explorer: ErrorExplorer, title: str) -> pd.DataFrame:
    """The table a block shows, as a user sees it (its columns, all its rows)."""
    return next(block.frame for block in explorer.panel.blocks if block.title == title)


def test_a_family_names_the_code_on_every_row_of_every_block(frames):
    """EntryConflict's 44 and SalesforceEntryConflict's 14 failures fail at the same step:
    without the code the two "Failing step" rows looked the same."""
    explorer = ErrorExplorer(frames, error_code="EntryConflict")
    steps = _shown(explorer, "Failing step")
    assert steps.columns.tolist() == [
        "status",
        "error_code",
        "failed_step_type",
        "failed_step_name",
        "events",
        "share",
    ]
    assert steps[["error_code", "failed_step_name", "events"]].values.tolist() == [
        ["EntryConflict", "EntryExportAdd", 44],
        ["SalesforceEntryConflict", "EntryExportAdd", 14],
    ]
    for title in ("Summary and recommended action", "Affected identities", "Events"):
        shown = _shown(explorer, title)
        assert "error_code" in shown.columns, title
        assert set(shown["error_code"]) == {"EntryConflict", "SalesforceEntryConflict"}, title
    summary = _shown(explorer, "Summary and recommended action")
    keys = summary.drop(columns=["events", "identities", "first_seen", "last_seen"])
    assert not keys.drop(columns=["recommended_action", "example_reason"]).duplicated().any()
    identities = _shown(explorer, "Affected identities")
    who = ["status", "error_code", "reportable_identifier", "target_system_name"]
    assert not identities[who].duplicated().any()


def test_a_single_code_is_named_by_the_headline_not_on_each_row(frames):
    explorer = ErrorExplorer(frames, error_code="DuplicateTargetEntries")
    for block in explorer.panel.blocks:
        if block.frame is not None:
            assert "error_code" not in block.frame.columns, block.title
    assert _shown(explorer, "Failing step").columns[:2].tolist() == ["status", "failed_step_type"]


def test_headlines_count_one_event_and_one_identity_in_the_singular(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar, error_code="InvalidAnchor")
    bar.controls["target_system"].value = "Salesforce"
    bar.controls["since"].value = dt.date(2026, 11, 15)
    bar.controls["until"].value = dt.date(2026, 11, 15)
    assert explorer.panel.headline == "InvalidAnchor: 1 event, 1 identity (status: both)"
    bar.controls["until"].value = dt.date(2026, 11, 17)
    assert explorer.panel.headline == "InvalidAnchor: 5 events, 5 identities (status: both)"
    one = frames.events[frames.events["reportable_identifier"] == "chloe.garcia@contoso.com"]
    inspector = IdentityInspector(frames, query="chloe.garcia@contoso.com")
    assert len(one) == 1
    assert inspector.panel.headline == "'chloe.garcia@contoso.com': 1 event in 1 app"


def test_a_code_that_fails_and_warns_at_one_step_shows_both_rows_with_their_status(frames):
    reference = "UnableToResolveReferenceAttributeValue"
    explorer = ErrorExplorer(frames, error_code=reference)
    steps = _shown(explorer, "Failing step")
    assert steps.columns.tolist() == [
        "status",
        "failed_step_type",
        "failed_step_name",
        "events",
        "share",
    ]
    assert steps[["status", "failed_step_name", "events"]].values.tolist() == [
        ["warning", "EntryReferenceResolution", 49],
        ["failure", "EntryReferenceResolution", 38],
    ]
    explorer.controls["status"].value = "failure"
    steps = _shown(explorer, "Failing step")
    assert "status" not in steps.columns
    assert steps["events"].tolist() == [38]


def test_a_table_cut_to_its_first_rows_counts_the_rest_in_the_singular_too():
    assert "<i>… 1 more row</i>" in frame_html(pd.DataFrame({"n": range(MAX_ROWS + 1)}))
    assert "<i>… 2 more rows</i>" in frame_html(pd.DataFrame({"n": range(MAX_ROWS + 2)}))


def test_a_code_given_up_front_is_matched_case_insensitively_or_refused(frames):
    explorer = ErrorExplorer(frames, error_code="duplicatetargetentries")
    assert explorer.values["error_code"] == "DuplicateTargetEntries"
    absent = r"'NoSuchCode' is not present here; codes: EntryConflict, Unable"
    with pytest.raises(pv.ConfigError, match=absent):
        explorer.choose("NoSuchCode")
    assert explorer.values["error_code"] == "DuplicateTargetEntries"


def test_status_narrows_the_codes_and_the_events(frames):
    explorer = ErrorExplorer(frames, error_code="UnableToResolveReferenceAttributeValue")
    explorer.controls["status"].value = "warning"
    warned = frames.errors[frames.errors["status"] == "warning"]
    codes = warned["error_code"].value_counts()
    assert [value for _, value in explorer.controls["error_code"].options] == list(codes.index)
    assert explorer.values["error_code"] == "UnableToResolveReferenceAttributeValue"
    assert len(explorer.result) == codes["UnableToResolveReferenceAttributeValue"]
    assert set(explorer.result["status"]) == {"warning"}


def test_narrowing_the_filter_bars_dates_changes_the_explorer(frames):
    bar = FilterBar(frames)
    assert bar.values["since"] == dt.date(2026, 11, 14)
    assert bar.values["until"] == dt.date(2026, 11, 22)
    explorer = ErrorExplorer(frames, filters=bar, error_code="DuplicateTargetEntries")
    assert len(explorer.result) == 35
    seen = []
    bar.observe(lambda change: seen.append(change["new"]), names="selection")
    bar.controls["since"].value = dt.date(2026, 11, 20)
    assert seen == [
        {
            "since": pd.Timestamp("2026-11-20", tz="UTC"),
            "until": pd.Timestamp("2026-11-23", tz="UTC"),
        }
    ]
    expected = _errors(frames, "DuplicateTargetEntries", since="2026-11-20")
    assert len(expected) == 18
    assert sorted(explorer.result["event_id"]) == sorted(expected["event_id"])
    assert (
        bar.result.set_index("table").loc["errors", "rows"]
        == (frames.errors["activity_time"] >= pd.Timestamp("2026-11-20", tz="UTC")).sum()
    )


def test_the_filter_bars_target_system_reaches_the_explorer(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar, error_code="DuplicateTargetEntries")
    bar.controls["target_system"].value = "ServiceNow"
    assert explorer.values["error_code"] == "DuplicateTargetEntries"
    assert len(explorer.result) == 12
    assert set(explorer.result["target_system_name"]) == {"ServiceNow"}
    unchosen = ErrorExplorer(frames, filters=bar)
    with bar.quietly():  # a day after the last event
        bar.controls["until"].value = dt.date(2026, 11, 30)
        bar.controls["since"].value = dt.date(2026, 11, 30)
    assert unchosen.values["error_code"] is None
    assert unchosen.result.empty
    assert "event_id" in unchosen.result.columns
    assert unchosen.panel.headline == "no error codes in this selection"
    assert explorer.values["error_code"] == "DuplicateTargetEntries"  # chosen: it stays
    assert explorer.result.empty
    assert "event_id" in explorer.result.columns
    assert explorer.panel.headline == (
        "DuplicateTargetEntries: no events in this scope (status: both); the code stays chosen"
    )


def test_a_code_set_on_the_dropdown_is_matched_case_insensitively(frames):
    explorer = ErrorExplorer(frames)
    explorer.controls["error_code"].value = "duplicatetargetentries"
    assert explorer.values["error_code"] == "DuplicateTargetEntries"
    assert (
        explorer.panel.headline == "DuplicateTargetEntries: 35 events, 19 identities (status: both)"
    )
    assert len(explorer.result) == 35


def test_an_absent_code_set_on_the_dropdown_is_shown_not_raised(frames):
    explorer = ErrorExplorer(frames, error_code="EntryConflict")
    present, events = len(explorer.controls["error_code"].options), len(explorer.result)
    explorer.controls["error_code"].value = "DuplicateTargetEntrys"
    assert explorer.values["error_code"] == "EntryConflict"
    assert explorer.panel.headline == (
        "Error code 'DuplicateTargetEntrys' is not present here; closest: "
        f"DuplicateTargetEntries (of {present} present); the selection stays as it was"
    )
    assert len(explorer.result) == events == 58
    explorer.controls["error_code"].value = "DuplicateTargetEntries"
    assert (
        explorer.panel.headline == "DuplicateTargetEntries: 35 events, 19 identities (status: both)"
    )


def test_until_before_since_is_shown_in_the_bar_with_the_days_picked(frames):
    bar = FilterBar(frames)
    explorer = ErrorExplorer(frames, filters=bar, error_code="DuplicateTargetEntries")
    bar.controls["since"].value = dt.date(2026, 11, 20)
    selected = dict(bar.selection)
    bar.controls["until"].value = dt.date(2026, 11, 19)
    assert bar.panel.headline == (
        "From 2026-11-20 is after To (incl.) 2026-11-19: no day is selected; pick a From day "
        "on or before the To day (the days stay 2026-11-20 to 2026-11-22, both days included)"
    )
    assert bar.values["until"] == dt.date(2026, 11, 22)  # the control shows the day in force
    assert bar.selection == selected
    assert len(explorer.result) == 18
    bar.controls["until"].value = dt.date(2026, 11, 21)
    assert bar.selection["until"] == pd.Timestamp("2026-11-22", tz="UTC")
    assert bar.panel.headline.endswith("2026-11-20 to 2026-11-21, both days included")


def test_a_widget_takes_the_path_of_a_dataset_folder(frames, tmp_path):
    frames.to_parquet(tmp_path / "snapshot")
    explorer = ErrorExplorer(str(tmp_path / "snapshot"), error_code="EntryConflict")
    assert len(explorer.result) == 58
    assert FilterBar(tmp_path / "snapshot").panel.headline == (
        "2,033 of 2,033 events selected: 2026-11-14 to 2026-11-22, both days included"
    )


def test_a_widget_given_a_table_says_what_it_takes(frames):
    with pytest.raises(pv.ConfigError) as raised:
        ErrorExplorer(frames.errors)
    assert str(raised.value) == (
        "ErrorExplorer(frames=...): got a DataFrame (pass the whole frames, not one of its "
        "tables); takes ProvisioningFrames or the path of a store/snapshot folder"
    )
    with pytest.raises(pv.ConfigError) as raised:
        FilterBar(None)
    assert str(raised.value) == (
        "FilterBar(frames=...): got None; "
        "takes ProvisioningFrames or the path of a store/snapshot folder"
    )


# --- ConflictExplorer -------------------------------------------------------------------


def test_conflict_explorer_narrows_by_target_system_and_attribute(frames):
    explorer = ConflictExplorer(frames)
    assert len(explorer.result) == 66
    explorer.controls["target_system"].value = "Salesforce"
    assert len(explorer.result) == 18
    assert set(explorer.result["target_system_name"]) == {"Salesforce"}
    assert explorer.result["events"].sum() == 27
    assert [v for _, v in explorer.controls["attribute"].options] == [
        None,
        "LastName",
        "company",
        "u_cost_center",  # ServiceNow's, read as the attribute since conflicts was fixed
    ]
    explorer.controls["attribute"].value = "LastName"
    assert len(explorer.result) == 11
    assert set(explorer.result["kind"]) == {"duplicateTargetEntries"}
    assert set(explorer.result["target_system_name"]) == {"Salesforce"}
    explorer.controls["kind"].value = "entryConflict"
    assert explorer.result.empty
    explorer.controls["attribute"].value = None
    assert len(explorer.result) == 7


# --- IdentityInspector ------------------------------------------------------------------


def test_a_upn_typed_into_the_inspector_returns_exactly_that_users_events(frames):
    inspector = IdentityInspector(frames)
    assert inspector.result.empty
    assert "event_id" in inspector.result.columns
    inspector.controls["query"].value = "Liam.Schafer@Contoso.com"  # case does not matter
    events = frames.events
    mine = events[events["reportable_identifier"] == "liam.schafer@contoso.com"]
    assert len(mine) == 6
    assert sorted(inspector.result["event_id"]) == sorted(mine["event_id"])
    assert inspector.result["activity_time"].is_monotonic_increasing
    assert set(inspector.history.steps["event_id"]) == set(mine["event_id"])
    assert len(inspector.history.steps) == frames.steps["event_id"].isin(mine["event_id"]).sum()
    assert sorted(inspector.history.apps["target_system_name"]) == [
        "Active Directory",
        "Salesforce",
        "customappsso",
    ]
    assert inspector.panel.headline == "'Liam.Schafer@Contoso.com': 6 events in 3 apps"


def test_a_shared_display_name_says_so_in_the_headline_and_warns_at_the_users_line(frames):
    inspector = IdentityInspector(frames)
    with pytest.warns(UserWarning) as caught:
        inspector.controls["query"].value = "Mónica Müller"  # four people share the name
    assert [(Path(w.filename).name, str(w.message).split(" (UPNs")[0]) for w in caught] == [
        ("test_widgets.py", "identity_history: 'Mónica Müller' matches 4 distinct identities")
    ]  # this line, not traitlets' observer that ran the search
    assert len(inspector.result) == 23
    assert inspector.panel.headline == (
        "'Mónica Müller': 23 events in 5 apps; 'Mónica Müller' matches 4 distinct identities "
        "(UPNs: monica.muller2@contoso.com, monica.muller38@contoso.com, "
        "monica.muller5@contoso.com, monica.muller@contoso.com); "
        "pass the UPN or object id to narrow it to one"
    )
    inspector.controls["query"].value = "monica.muller5@contoso.com"  # one of them: no warning
    assert inspector.panel.headline.startswith("'monica.muller5@contoso.com': ")
    assert set(inspector.result["reportable_identifier"]) == {"monica.muller5@contoso.com"}


def test_the_inspector_headline_says_a_name_was_taken_without_its_accents(frames):
    """That was said only in a Python warning, which a notebook user may miss."""
    inspector = IdentityInspector(frames)
    with pytest.warns(UserWarning) as caught:
        inspector.controls["query"].value = "Lukasz Brown"
    assert {Path(w.filename).name for w in caught} == {"test_widgets.py"}
    headline = inspector.panel.headline
    assert headline.startswith(
        "'Lukasz Brown': 32 events in 5 apps; no event names 'Lukasz Brown' exactly; "
        "showing the events of 'Łukasz Brown' (accents and case ignored); "
        "'Lukasz Brown' matches 3 distinct identities (UPNs: "
    )
    said = [str(w.message).removeprefix("identity_history: ") for w in caught]
    assert headline == "; ".join(["'Lukasz Brown': 32 events in 5 apps", *said])


def test_the_inspector_headline_names_the_closest_name_when_nothing_matches(frames):
    inspector = IdentityInspector(frames)
    with pytest.warns(UserWarning, match="closest present: Łukasz Brown"):
        inspector.controls["query"].value = "Lukas Brwn"
    assert inspector.result.empty
    assert inspector.panel.headline == (
        "'Lukas Brwn': 0 events in 0 apps; no event names 'Lukas Brwn' (compared with object "
        "ids, display names and UPNs); closest present: Łukasz Brown"
    )


def test_the_inspector_follows_the_filter_bar(frames):
    bar = FilterBar(frames)
    inspector = IdentityInspector(frames, filters=bar, query="liam.schafer@contoso.com")
    bar.controls["target_system"].value = "Salesforce"
    assert len(inspector.result) == 3
    assert set(inspector.result["target_system_name"]) == {"Salesforce"}


# --- JobHealthPanel ---------------------------------------------------------------------

SCIM_JOB = "scim.f38b2ffc80a44f5a91c9bc701e7ea419.24114258-751b-4c83-89a0-47dc4ac87fc0"


def test_job_health_panel_shows_the_quarantined_job_and_its_alerts(frames):
    panel = JobHealthPanel(frames)
    assert len(panel.result) == 6
    quarantined = panel.result[panel.result["quarantined"].fillna(False).astype(bool)]
    assert quarantined["job_id"].tolist() == [SCIM_JOB]
    assert quarantined["quarantine_reason"].tolist() == ["EncounteredQuarantineException"]
    assert panel.panel.headline == "6 jobs, 1 quarantined, 9 alerts"
    panel.controls["job_id"].value = SCIM_JOB
    assert panel.result["job_id"].tolist() == [SCIM_JOB]
    assert panel.sections["alerts"]["kind"].tolist() == [  # newest window first
        "failureRateSpike",
        "quarantined",  # ends at the snapshot: the newest time the saved status records
        "failureRateSpike",
    ]
    assert len(panel.sections["cycles"]) == 169
    panel.controls["window"].value = "7d"
    assert panel.sections["alerts"]["kind"].tolist() == ["quarantined"]
    assert [b.title for b in panel.panel.blocks if b.png is not None] == ["Failure rate per cycle"]


def test_the_job_panel_shows_the_escrow_ratio_in_words_as_the_report_does(frames):
    panel = JobHealthPanel(frames)
    for shown in (panel._repr_html_(), live_html(panel)):  # static and live views alike
        jobs = widget_blocks(shown)["Jobs"]
        scim = next(row for row in jobs.rows if row["job_id"] == SCIM_JOB)
        assert (scim["escrow_share"], scim["escrow_share_÷_40%"]) == ("0.102", "0.256")
        assert "escrow_risk" not in scim
        assert jobs.note.startswith(
            "escrow share: the job's failures that are not reference failures, per event. "
            "escrow share ÷ 40%: that share over the 40% at which Entra quarantines a job "
            "(1.0 is the threshold;"
        )
        assert jobs.note.endswith("not a probability (escrow_risk in .result).")
    text = repr(panel)
    assert "escrow_share_÷_40%" in text and "(escrow_risk in .result)" in text
    scim_risk = panel.result.loc[panel.result["job_id"] == SCIM_JOB, "escrow_risk"]
    assert scim_risk.item() == pytest.approx(31 / 303 / 0.4)  # the result keeps its name


SLACK_JOB = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
SLACK_HEADLINE = "383 of 2,033 events selected: 2026-11-14 to 2026-11-22, both days included"


def test_the_filter_bars_text_is_matched_case_insensitively(frames):
    bar = FilterBar(frames)
    bar.controls["target_system"].value = "slack"
    assert bar.values["target_system"] == "Slack"
    assert bar.selection["target_system"] == "Slack"
    assert bar.panel.headline == SLACK_HEADLINE
    bar.controls["job_id"].value = SLACK_JOB.upper()
    assert bar.values["job_id"] == SLACK_JOB
    assert bar.panel.headline == SLACK_HEADLINE


def test_a_target_system_not_present_is_shown_in_the_bar_not_raised(frames):
    bar = FilterBar(frames)
    bar.controls["target_system"].value = "Slack"
    bar.controls["target_system"].value = "Slakc"
    assert bar.values["target_system"] == "Slack"
    assert bar.panel.headline == (
        "Target system 'Slakc' is not present here; closest: Slack (of 5 present); the "
        "selection stays as it was"
    )


def test_job_health_panel_of_a_bar_narrowed_to_an_app_shows_its_job_alone(frames):
    bar = FilterBar(frames)
    panel = JobHealthPanel(frames, filters=bar)
    bar.controls["target_system"].value = "slack"
    assert panel.result["job_id"].tolist() == [SLACK_JOB]
    alerts = panel.sections["alerts"][["kind", "job_id"]].values.tolist()
    assert alerts == [["failureRateSpike", SLACK_JOB]] * 2  # no other app's silence
    assert panel.panel.headline == "1 job, 0 quarantined, 2 alerts"


def test_a_code_never_set_follows_the_status_to_its_largest(frames):
    """Toggling the status to warning and back left the warning scope's largest code shown
    (UnableToResolveReferenceAttributeValue, 38 failures) where EntryConflict (58) leads:
    the code shown depended on the order of the clicks (final new-user check)."""
    explorer = ErrorExplorer(frames)
    first = explorer.values["error_code"]
    codes = pv.analysis.error_codes(frames, status="warning")
    explorer.controls["status"].value = "warning"
    assert explorer.values["error_code"] == codes["error_code"].iloc[0] != first
    for status in ("both", "failure"):
        explorer.controls["status"].value = status
        expected = pv.analysis.error_codes(frames, status=status)["error_code"].iloc[0]
        assert explorer.values["error_code"] == expected
        assert explorer.panel.headline.startswith(f"{expected}: ")
    explorer.controls["error_code"].value = "InvalidAnchor"  # set: it stays, as before
    explorer.controls["status"].value = "warning"
    assert explorer.values["error_code"] == "InvalidAnchor"
