"""`pv.analysis.alerts` on narrowed frames: windows cut to the scope `filter_frames` recorded,
a cut window saying so, an alert wholly outside dropped; unnarrowed frames unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

import provlytics as pv
from provlytics.analysis import alerts, filter_frames

SCIM = "scim.f38b2ffc80a44f5a91c9bc701e7ea419.24114258-751b-4c83-89a0-47dc4ac87fc0"
SLACK = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
SALESFORCE = "salesforce.f38b2ffc80a44f5a91c9bc701e7ea419.f3f49249-dc28-4f90-a5ae-c7978306d03b"
QUARANTINE = (
    "quarantined (EncounteredQuarantineException; error "
    "SystemForCrossDomainIdentityManagementInvalidCredentials) since 2026-11-18 05:55 UTC; "
    "Entra disables the job after 4 weeks"
)


def _row(found: pd.DataFrame, kind: str, job: str) -> dict:
    rows = found[(found["kind"] == kind) & (found["job_id"] == job)]
    return rows.iloc[0].to_dict()


def test_a_quarantine_seen_after_until_is_cut_at_until_and_says_so(samples):
    found = alerts(filter_frames(samples, since="2026-11-18", until="2026-11-20"))
    held = _row(found, "quarantined", SCIM)
    assert held["window_start"] == pd.Timestamp("2026-11-18 05:55", tz="UTC")
    assert held["window_end"] == pd.Timestamp("2026-11-20", tz="UTC")
    assert held["value"] == pytest.approx(42 + 5 / 60)  # hours in quarantine at until
    assert held["message"] == (
        f"{QUARANTINE}; window cut to the narrowed scope: it ran to 2026-11-20 11:59 UTC, "
        "after its end 2026-11-20 00:00 UTC"
    )
    spike = _row(found, "failureRateSpike", SALESFORCE)
    assert (spike["window_start"], spike["window_end"]) == (
        pd.Timestamp("2026-11-18", tz="UTC"),
        pd.Timestamp("2026-11-18 23:56:03", tz="UTC"),
    )
    assert spike["message"] == (
        "18 of 86 processed events failed (21%, threshold 20%); window cut to the narrowed "
        "scope: it began 2026-11-17 23:56 UTC, before its start 2026-11-18 00:00 UTC"
    )
    assert found["window_end"].max() == pd.Timestamp("2026-11-20", tz="UTC")
    assert found["window_end"].is_monotonic_decreasing


def test_a_quarantine_that_began_after_until_is_no_alert_of_that_scope(samples):
    found = alerts(filter_frames(samples, until="2026-11-18 05:00"))
    assert "quarantined" not in set(found["kind"])
    assert found["window_end"].max() <= pd.Timestamp("2026-11-18 05:00", tz="UTC")


def test_frames_not_narrowed_keep_the_snapshots_window(samples):
    held = _row(alerts(samples), "quarantined", SCIM)
    assert held["window_end"] == pd.Timestamp("2026-11-20 11:59:08", tz="UTC")
    assert held["message"] == QUARANTINE
    assert filter_frames(samples, job_id=SCIM).narrowed == [
        {"job_id": [SCIM], "newest_utc": "2026-11-22T23:51:43+00:00"}
    ]
    assert _row(alerts(filter_frames(samples, job_id=SCIM)), "quarantined", SCIM) == held


SILENT_SLACK = {
    "kind": "silentJob",
    "job_id": SLACK,
    "window_start": pd.Timestamp("2026-11-22 20:51:43", tz="UTC"),
    "window_end": pd.Timestamp("2026-11-22 23:51:43", tz="UTC"),
    "message": "no event in the 3 h before 2026-11-22 23:51 UTC while job_status says it runs; "
    "last event 2026-11-22 18:46 UTC",
}


def _silent(found: pd.DataFrame) -> list[dict]:
    rows = found[found["kind"] == "silentJob"]
    return rows[list(SILENT_SLACK)].to_dict("records")


@pytest.mark.parametrize(
    "narrow",
    [
        {"job_id": SLACK},
        {"target_system": "slack"},
        {"service_principal": "Slack"},
        {"job_id": SLACK, "since": "2026-11-22"},
        {"job_id": SLACK, "until": "2026-11-23"},  # after the newest event: ends there
    ],
)
def test_narrowing_to_a_silent_job_keeps_its_silent_job_alert(samples, narrow, tmp_path):
    assert _silent(alerts(samples, window="3h")) == [SILENT_SLACK]
    scoped = filter_frames(samples, **narrow)
    found = _silent(alerts(scoped, window="3h"))
    assert found == [SILENT_SLACK]  # job_status follows the jobs of the scope
    back = pv.read_parquet(scoped.to_parquet(tmp_path / "scoped"))  # the end kept on disk
    assert _silent(alerts(back, window="3h")) == found


def test_a_job_narrowed_with_until_is_judged_at_until(samples):
    found = alerts(filter_frames(samples, job_id=SLACK, until="2026-11-22 23:00"), window="3h")
    assert _silent(found) == [
        SILENT_SLACK
        | {
            "window_start": pd.Timestamp("2026-11-22 20:00", tz="UTC"),
            "window_end": pd.Timestamp("2026-11-22 23:00", tz="UTC"),
            "message": "no event in the 3 h before 2026-11-22 23:00 UTC while job_status says "
            "it runs; last event 2026-11-22 18:46 UTC",
        }
    ]
    quiet = alerts(filter_frames(samples, job_id=SLACK, until="2026-11-22 20:00"), window="3h")
    assert _silent(quiet) == []  # its last event, 18:46, is within the 3 h before 20:00


WORKDAY = "Workday2AD.f38b2ffc80a44f5a91c9bc701e7ea419"


@pytest.mark.parametrize(
    "narrow", [{"target_system": "Slack"}, {"service_principal": "Slack"}, {"job_id": SLACK}]
)
def test_narrowing_to_a_target_or_app_keeps_only_its_jobs_and_their_alerts(samples, narrow):
    scoped = filter_frames(samples, **narrow)
    assert scoped.job_status["job_id"].tolist() == [SLACK]
    assert alerts(scoped, window="3h")[["kind", "job_id"]].values.tolist() == [["silentJob", SLACK]]
    assert pv.analysis.job_health(scoped)["job_id"].tolist() == [SLACK]


def test_a_job_of_the_app_with_no_event_in_the_window_stays(samples, tmp_path):
    """Both Workday jobs belong to the app by their events; one logged nothing after 11-22
    21:30 but stays, by its service principal, so its silence is reported."""
    since = "2026-11-22 21:30"
    late = samples.events[samples.events["activity_time"] >= pd.Timestamp(since, tz="UTC")]
    assert sorted(late[late["job_id"].str.startswith(WORKDAY)]["job_id"].unique()) == [
        f"{WORKDAY}.de0279e1-7f9a-4098-8df0-5f2595f19a51"
    ]
    wanted = sorted(j for j in samples.job_status["job_id"] if j.startswith(WORKDAY))
    for narrow in (
        {"target_system": "active directory"},
        {"service_principal": "e01c683e-99a4-4df0-9de3-a361c0099eba"},
    ):
        scoped = filter_frames(samples, since=since, **narrow)
        assert sorted(scoped.job_status["job_id"]) == wanted
    store = samples.to_parquet(tmp_path / "snap")
    on_path = filter_frames(store, since=since, target_system="Active Directory")
    assert sorted(on_path.job_status["job_id"]) == wanted
    silent = alerts(on_path, window="2h")
    assert silent[silent["kind"] == "silentJob"]["job_id"].tolist() == [wanted[0]]


@pytest.mark.parametrize("on_path", [False, True])
def test_an_app_silent_in_the_whole_window_keeps_its_job_and_alert(samples, tmp_path, on_path):
    """Slack's last event is 18:46: narrowed to Slack since 19:00 no event is left, but its
    events before the window (on a path: read for the ties alone) keep its job."""
    source = samples.to_parquet(tmp_path / "snap") if on_path else samples
    with pytest.warns(UserWarning) as caught:
        scoped = filter_frames(source, since="2026-11-22 19:00", target_system="Slack")
    (said,) = [str(w.message) for w in caught]  # present before the window: not "not present"
    assert said.startswith("no event matches since='2026-11-22 19:00' and target_system='Slack';")
    assert scoped.counts()["events"] == 0
    assert scoped.job_status["job_id"].tolist() == [SLACK]
    assert alerts(scoped, window="3h")["job_id"].tolist() == [SLACK]


def test_alerts_on_a_narrowed_snapshots_path_keep_its_scope(samples, tmp_path):
    snap = filter_frames(samples, since="2d").to_parquet(tmp_path / "snap1")
    assert alerts(pv.read_parquet(snap)).empty
    assert alerts(snap).empty  # the quarantine ended before `since`: outside the scope
    cut = filter_frames(samples, since="2026-11-20 11:00").to_parquet(tmp_path / "snap2")
    on_path, read = alerts(cut), alerts(pv.read_parquet(cut))
    pd.testing.assert_frame_equal(on_path, read)
    assert _row(on_path, "quarantined", SCIM)["message"] == (
        f"{QUARANTINE}; window cut to the narrowed scope: it began 2026-11-18 05:55 UTC, "
        "before its start 2026-11-20 11:00 UTC"
    )


def test_a_window_beginning_before_since_does_not_judge_silence(samples, caplog):
    """Workday2AD cd73… logged at 21:25 and Slack at 18:46 on 11-22; narrowed since 22:00 the
    1 d window before 23:51 reaches back before the scope, whose frames lack those events."""
    assert _silent(alerts(samples)) == []
    caplog.set_level("INFO", logger="provlytics.analysis.job_alerts")
    narrowed = filter_frames(samples, since="2026-11-22T22:00:00Z")
    assert _silent(alerts(narrowed)) == []
    assert (
        "silentJob not judged in the 1 d before 2026-11-22 23:51 UTC: the window begins "
        "2026-11-21 23:51 UTC, before the scope's start 2026-11-22 22:00 UTC" in caplog.text
    )


def test_a_since_duration_of_a_paths_scan_records_its_time_as_on_frames(samples, tmp_path):
    """On a path, `since="2h"` counts back on the scan from the newest event stored: the
    time is recorded as on frames, so silence is judged alike."""
    snapshot = samples.to_parquet(tmp_path / "snap")
    narrowed = filter_frames(snapshot, since="2h")
    assert narrowed.narrowed == [{"since": "2h", "since_utc": "2026-11-22T21:51:43+00:00"}]
    assert narrowed.narrowed == filter_frames(samples, since="2h").narrowed
    pd.testing.assert_frame_equal(alerts(narrowed), alerts(filter_frames(samples, since="2h")))


def test_a_since_duration_recorded_without_its_time_does_not_judge_silence(samples):
    """A step without its time (a snapshot's manifest written before the scan recorded it):
    the window's start cannot be placed inside the scope."""
    narrowed = filter_frames(samples, since="5h")  # the 3 h window lies inside the scope
    assert _silent(alerts(narrowed, window="3h")) == [
        SILENT_SLACK
        | {
            "message": "no event in the 3 h before 2026-11-22 23:51 UTC while job_status says "
            "it runs; no event since the scope's start 2026-11-22 18:51 UTC",
        }
    ]
    narrowed.narrowed = [{"since": "5h"}]
    assert _silent(alerts(narrowed, window="3h")) == []


def test_a_window_inside_since_judges_silence_on_the_scope(samples):
    found = _silent(alerts(filter_frames(samples, since="2026-11-22 20:00"), window="3h"))
    assert found == [
        SILENT_SLACK
        | {
            "message": "no event in the 3 h before 2026-11-22 23:51 UTC while job_status says "
            "it runs; no event since the scope's start 2026-11-22 20:00 UTC",
        }
    ]
