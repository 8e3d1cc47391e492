"""`retry_storms`, `recovery`, `job_health` and `alerts`: exact figures on hand-built tables
and on the bundled samples (a quarantined SCIM job and a paused ServiceNow job)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest
from analysis_frames import event, frames, plain, utc

import provlytics as pv
from provlytics.analysis.health import HEALTH_COLUMNS
from provlytics.analysis.job_alerts import ALERT_COLUMNS
from provlytics.analysis.retries import RECOVERY_COLUMNS, STORM_COLUMNS
from provlytics.errors import ConfigError, InputError

A = pv.analysis
SCIM = "scim.f38b2ffc80a44f5a91c9bc701e7ea419.24114258-751b-4c83-89a0-47dc4ac87fc0"
SLACK = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"


def _fail(event_id, time, who, cycle, code, **more):
    return event(
        event_id,
        time,
        job_id="j1",
        cycle_id=cycle,
        source_id=who,
        status="failure",
        error_code=code,
        action="update",
        target_system_name="Box",
        **more,
    )


def _ok(event_id, time, who, cycle, status="success"):
    return event(
        event_id,
        time,
        job_id="j1",
        cycle_id=cycle,
        source_id=who,
        status=status,
        action="update",
        target_system_name="Box",
    )


def _retry_frames() -> pv.ProvisioningFrames:
    return frames(
        [
            # u1: EntryConflict in three cycles (twice in c3, once spelled in lower case)
            _fail("a1", "2026-11-18T10:00:00Z", "u1", "c1", "EntryConflict"),
            _fail("a2", "2026-11-18T10:40:00Z", "u1", "c2", "EntryConflict"),
            _fail("a3", "2026-11-18T11:20:00Z", "u1", "c3", "entryconflict"),
            _fail("a4", "2026-11-18T11:25:00Z", "u1", "c3", "EntryConflict"),
            # u2: a timeout in two cycles, then a success 1 h 30 min after the first failure
            _fail("b1", "2026-11-18T10:00:00Z", "u2", "c1", "Timeout"),
            _fail("b2", "2026-11-18T10:40:00Z", "u2", "c2", "Timeout"),
            _ok("b3", "2026-11-18T11:30:00Z", "u2", "c3"),
            # u3: the same code in three cycles, then skipped as already in sync
            _fail("c1", "2026-11-18T10:00:00Z", "u3", "c1", "InvalidAnchor"),
            _fail("c2", "2026-11-18T10:40:00Z", "u3", "c2", "InvalidAnchor"),
            _fail("c3", "2026-11-18T11:20:00Z", "u3", "c3", "InvalidAnchor"),
            _ok("c4", "2026-11-18T12:00:00Z", "u3", "c4", status="skipped"),
            # u4 succeeded before it failed: that success is no recovery
            _ok("d1", "2026-11-18T09:00:00Z", "u4", "c0"),
            _fail("d2", "2026-11-18T10:00:00Z", "u4", "c1", "Timeout"),
        ]
    )


def test_same_object_same_code_in_three_cycles_is_one_storm():
    out = A.retry_storms(_retry_frames())

    assert out.columns.tolist() == STORM_COLUMNS
    assert out[
        ["source_id", "error_code", "cycles", "events", "still_failing"]
    ].values.tolist() == [
        ["u1", "EntryConflict", 3, 4, True],
        ["u3", "InvalidAnchor", 3, 3, False],
    ]
    assert (out.loc[0, "first_seen"], out.loc[0, "last_seen"]) == (
        utc("2026-11-18T10:00"),
        utc("2026-11-18T11:25"),
    )


def test_two_cycles_are_a_storm_only_with_min_cycles_2():
    out = A.retry_storms(_retry_frames(), min_cycles=2)
    assert sorted(out["source_id"]) == ["u1", "u2", "u3"]
    assert out.loc[out["source_id"] == "u2", "still_failing"].tolist() == [False]


def test_recovery_time_first_failure_to_first_success_after_it():
    out = A.recovery(_retry_frames())

    assert out.columns.tolist() == RECOVERY_COLUMNS
    by = out.set_index("source_id")
    assert by.loc["u2", "time_to_recovery"] == pd.Timedelta(hours=1, minutes=30)
    assert by.loc["u2", "recovered_at"] == utc("2026-11-18T11:30")
    assert by.loc["u2", ["error_code", "failures", "still_failing"]].tolist() == [
        "Timeout",
        2,
        False,
    ]
    assert pd.isna(by.loc["u1", "recovered_at"]) and pd.isna(by.loc["u1", "time_to_recovery"])
    assert by.loc["u1", ["failures", "still_failing"]].tolist() == [4, True]
    assert pd.isna(by.loc["u4", "recovered_at"])  # its success came before the failure
    assert by.loc["u3", "still_failing"] == False  # noqa: E712  (skipped since)
    assert out["failures"].dtype == "int64"


def test_retry_storms_and_recovery_on_the_samples(samples):
    storms = A.retry_storms(samples)

    assert len(storms) == 8
    top = storms.iloc[0]
    assert (top["reportable_identifier"], top["error_code"]) == (
        "lukasz.brown98@corp.contoso.com",
        "SalesforceEntryConflict",
    )
    assert top[["cycles", "events", "still_failing"]].tolist() == [4, 4, False]
    assert storms["still_failing"].sum() == 6
    recovered = A.recovery(samples)
    assert len(recovered) == 196  # (job, object) pairs that ever failed
    assert recovered["failures"].sum() == 252  # every failed event of the samples
    assert recovered["still_failing"].sum() == 134
    assert recovered["recovered_at"].notna().sum() == 59
    assert recovered["first_failure"].is_monotonic_increasing


def _health_frames(jobs=True) -> pv.ProvisioningFrames:
    events = []
    for i in range(10):  # jobQ: 5 of 10 events fail, 2 of them on references
        code = {0: "UnableToResolveReferenceAttributeValue", 1: "SomeCode"}.get(i, "EntryConflict")
        events.append(
            event(
                f"q{i}",
                f"2026-11-18T10:{i:02d}:00Z",
                job_id="jobQ",
                action="create",
                status="failure" if i < 5 else "success",
                error_code=code if i < 5 else None,
                source_id=f"u{i}",
                service_principal_id="spQ",
            )
        )
    events.append(
        event(
            "l0",
            "2026-11-18T09:00:00Z",
            job_id="jobL",
            status="success",
            source_id="u0",
            service_principal_id="spL",
            action="update",
        )
    )
    snapshots = [
        {
            "observed_time": "2026-11-18T09:00:00Z",
            "job_id": "jobQ",
            "service_principal_id": "spQ",
            "status_code": "Active",
            "schedule_state": "Active",
        },
        {
            "observed_time": "2026-11-18T12:00:00Z",
            "job_id": "jobQ",
            "service_principal_id": "spQ",
            "status_code": "Quarantine",
            "schedule_state": "Active",
            "quarantine_reason": "EncounteredEscrowProportionThreshold",
            "quarantine_series_began": "2026-11-18T11:00:00Z",
            "quarantine_current_began": "2026-11-18T11:50:00Z",
            "quarantine_next_attempt": "2026-11-18T17:00:00Z",
            "quarantine_error_code": "EncounteredEscrowProportionThreshold",
            "last_error_code": "EscrowThreshold",
            "last_error_message": "too many failures",
            "last_error_tenant_actionable": True,
            "last_execution_ended": "2026-11-18T10:59:00Z",
        },
        {
            "observed_time": "2026-11-18T12:00:00Z",
            "job_id": "jobS",
            "service_principal_id": "spS",
            "status_code": "Active",
            "schedule_state": "Active",
        },
        {
            "observed_time": "2026-11-18T12:00:00Z",
            "job_id": "jobP",
            "service_principal_id": "spP",
            "status_code": "Paused",
            "schedule_state": "Paused",
        },
    ]
    errors = [
        {
            "event_id": "q1",
            "activity_time": "2026-11-18T10:01:00Z",
            "job_id": "jobQ",
            "status": "failure",
            "error_code": "SomeCode",
            "failed_step_type": "referenceResolution",
        },
    ]
    return frames(events, errors=errors, jobs=snapshots if jobs else [])


def test_job_health_latest_snapshot_and_escrow_share_without_reference_failures():
    out = A.job_health(_health_frames())

    assert out.columns.tolist() == HEALTH_COLUMNS
    assert out["job_id"].tolist() == ["jobQ", "jobL", "jobP", "jobS"]
    q = out.iloc[0]
    assert (q["status_code"], q["quarantined"]) == ("Quarantine", True)
    assert q["quarantine_reason"] == "EncounteredEscrowProportionThreshold"
    assert q["quarantine_since"] == utc("2026-11-18T11:00")  # seriesBegan, not currentBegan
    assert q["quarantine_error_code"] == "EncounteredEscrowProportionThreshold"
    assert q["quarantine_next_attempt"] == utc("2026-11-18T17:00")
    assert (q["last_error_code"], q["last_error_tenant_actionable"]) == ("EscrowThreshold", True)
    assert q[["events", "failures", "reference_failures"]].tolist() == [10, 5, 2]
    assert q["escrow_share"] == pytest.approx(0.3)  # (5 - 2) / 10
    assert q["escrow_risk"] == pytest.approx(0.75)  # of the 40% threshold
    logs_only = out.iloc[1]
    assert logs_only["service_principal_id"] == "spL" and pd.isna(logs_only["status_code"])
    assert logs_only[["events", "escrow_share", "quarantined"]].tolist() == [1, 0.0, False]
    silent = out.set_index("job_id").loc["jobS"]
    assert silent["events"] == 0 and math.isnan(silent["escrow_share"])


def test_job_health_without_job_status_reports_the_logs():
    out = A.job_health(_health_frames(jobs=False))
    assert out["job_id"].tolist() == ["jobQ", "jobL"]
    assert plain(out["status_code"]) == [None, None]
    assert out["escrow_share"].tolist() == pytest.approx([0.3, 0.0])


def test_job_health_on_the_samples(samples):
    out = A.job_health(samples).set_index("job_id")

    assert len(out) == 6
    assert out["quarantined"].tolist().count(True) == 1
    scim = out.loc[SCIM]
    assert scim["quarantine_reason"] == "EncounteredQuarantineException"
    assert scim["last_error_code"] == "SystemForCrossDomainIdentityManagementInvalidCredentials"
    assert bool(scim["last_error_tenant_actionable"]) is True
    assert scim["quarantine_since"] == utc("2026-11-18T05:55:00")  # seriesBegan: 2 days 6 h
    assert scim["quarantine_error_code"] == scim["last_error_code"]
    assert scim["quarantine_next_attempt"] == utc("2026-11-20T12:00:01")
    assert scim[["events", "failures", "reference_failures"]].tolist() == [303, 37, 6]
    assert scim["escrow_share"] == pytest.approx(31 / 303)
    paused = out[out["status_code"] == "Paused"]
    assert paused.index.str.startswith("serviceNowOutDelta.").tolist() == [True]
    assert paused["schedule_state"].tolist() == ["Paused"]


def _alert_frames() -> pv.ProvisioningFrames:
    rows = []
    # jobA: 30 events in the last day (10 failed, 5 skipped: rate 10/25), 3 disables
    for i in range(30):
        status = "failure" if i < 10 else "skipped" if i < 15 else "success"
        action = "disable" if i < 3 else "update"
        rows.append(
            event(
                f"a{i}",
                f"2026-11-18T{i % 24:02d}:30:00Z",
                job_id="jobA",
                status=status,
                action=action,
                source_id=f"u{i}",
            )
        )
    # jobB: its last event 30 h before now
    rows.append(
        event(
            "b0",
            "2026-11-17T18:00:00Z",
            job_id="jobB",
            status="success",
            action="create",
            source_id="v",
        )
    )
    jobs = [
        {
            "observed_time": "2026-11-19T00:00:00Z",
            "job_id": job,
            "status_code": status,
            "schedule_state": state,
        }
        for job, status, state in [
            ("jobA", "Active", "Active"),
            ("jobB", "Active", "Active"),
            ("jobC", "NotRun", "Active"),
            ("jobP", "Paused", "Paused"),
        ]
    ]
    jobs.append(
        {
            "observed_time": "2026-11-19T00:00:00Z",
            "job_id": "jobQ",
            "status_code": "Quarantine",
            "schedule_state": "Active",
            "quarantine_reason": "EncounteredQuarantineException",
            "quarantine_current_began": "2026-11-18T12:00:00Z",
            "last_error_code": "Bad",
        }
    )
    return frames(rows, jobs=jobs)


def test_alerts_silent_spike_and_quarantine():
    out = A.alerts(_alert_frames(), now="2026-11-19T00:00:00", disable_delete=3)

    assert out.columns.tolist() == ALERT_COLUMNS
    got = {(k, j): (v, t) for k, j, v, t in out[["kind", "job_id", "value", "threshold"]].values}
    assert set(got) == {
        ("silentJob", "jobB"),
        ("silentJob", "jobC"),
        ("failureRateSpike", "jobA"),
        ("disableDeleteSpike", "jobA"),
        ("quarantined", "jobQ"),
    }
    assert got["silentJob", "jobB"] == (30.0, 24.0)
    assert math.isnan(got["silentJob", "jobC"][0])  # never seen in the logs
    assert got["failureRateSpike", "jobA"] == (pytest.approx(0.4), 0.2)
    assert got["disableDeleteSpike", "jobA"] == (3.0, 3.0)
    assert got["quarantined", "jobQ"] == (12.0, 672.0)  # since currentBegan: no seriesBegan
    quarantined = out.loc[out["kind"] == "quarantined", "message"].iloc[0]
    assert quarantined.startswith("quarantined (EncounteredQuarantineException; error Bad) since")
    spike = out[out["kind"] == "failureRateSpike"].iloc[0]
    assert (spike["window_start"], spike["window_end"]) == (
        utc("2026-11-18T00:00"),
        utc("2026-11-19T00:00"),
    )
    assert spike["message"] == "10 of 25 processed events failed (40%, threshold 20%)"


def test_alert_thresholds_and_min_events():
    out = A.alerts(_alert_frames(), now="2026-11-19", failure_rate=0.5, min_events=26)
    assert sorted(out["kind"]) == ["quarantined", "silentJob", "silentJob"]
    # rates are per window: 12 h windows hold 18 events (10 failed, 2 skipped) and 12 (none
    # failed, 3 skipped, so 9 processed: too few for min_events=10)
    halves = A.alerts(_alert_frames(), window="12h", now="2026-11-19", min_events=10)
    spikes = halves[halves["kind"] == "failureRateSpike"]
    assert spikes["value"].tolist() == [10 / 16]
    assert spikes["window_end"].tolist() == [utc("2026-11-18T12:00")]


def test_alerts_default_now_is_the_newest_event_and_bad_windows_raise():
    out = A.alerts(_alert_frames())  # now = 2026-11-18T23:30, jobB 29.5 h silent
    assert out.loc[out["job_id"] == "jobB", "value"].tolist() == [29.5]
    with pytest.raises(ConfigError):
        A.alerts(_alert_frames(), window="soon")
    with pytest.raises(ConfigError):
        A.alerts(_alert_frames(), window="-1d")


def test_alerts_now_reads_a_time_as_since_does():
    """Day and month either way round are refused (pandas read them month first); a
    duration is that long before the current time, where these 2026 events are all past."""
    with pytest.raises(ConfigError, match="now='05/11/2026' could be 2026-11-05 or 2026-05-11"):
        A.alerts(_alert_frames(), now="05/11/2026")
    same = A.alerts(_alert_frames(), now="19/11/2026")  # unambiguous: day first
    pd.testing.assert_frame_equal(same, A.alerts(_alert_frames(), now="2026-11-19"))
    silent = A.alerts(_alert_frames(), now="100000d").query("kind == 'silentJob'")
    assert not silent.empty and (silent["window_end"].dt.year < 1800).all()  # 274 years ago
    later = A.alerts(_alert_frames(), now="0s", window="5000d")
    assert later["window_end"].iloc[0] > pd.Timestamp("2026-11-30", tz="UTC")


def test_alerts_on_the_samples(samples):
    out = A.alerts(samples, window="3h")

    silent = out[out["kind"] == "silentJob"]
    assert silent["job_id"].tolist() == [SLACK]  # last event 18:46:18, newest event 23:51:43
    assert silent["value"].iloc[0] == pytest.approx(5.090253)
    assert out.loc[out["kind"] == "quarantined", "job_id"].tolist() == [SCIM]
    assert (out["kind"] == "failureRateSpike").sum() == 0


@pytest.mark.parametrize(
    ("helper", "columns"),
    [
        (A.retry_storms, STORM_COLUMNS),
        (A.recovery, RECOVERY_COLUMNS),
        (A.job_health, HEALTH_COLUMNS),
        (A.alerts, ALERT_COLUMNS),
    ],
)
def test_empty_frames_give_the_documented_columns(helper, columns):
    out = helper(pv.ProvisioningFrames())
    assert out.empty and out.columns.tolist() == columns


def test_logs_without_failures_or_job_status_give_empty_results():
    calm = frames([_ok("x", "2026-11-18T10:00:00Z", "u", "c")])
    assert A.retry_storms(calm).empty and A.recovery(calm).empty
    assert A.alerts(calm).empty


def test_frames_without_a_job_status_table_report_the_logs_only():
    loaded = _health_frames()
    bare = SimpleNamespace(events=loaded.events, errors=loaded.errors)  # no job_status at all

    assert A.job_health(bare)["job_id"].tolist() == ["jobQ", "jobL"]
    assert A.alerts(bare, now="2026-11-18T12:00").empty  # 10 events: too few for a rate


def test_a_table_without_a_needed_column_is_an_input_error_not_a_key_error():
    old = SimpleNamespace(events=_health_frames().events.drop(columns=["cycle_id"]))
    with pytest.raises(InputError, match="cycle_id"):
        A.retry_storms(old)
    with pytest.raises(InputError, match="cycle_id"):
        A.cycles(old)


@pytest.mark.parametrize(
    ("inputs", "since", "health_rows"),
    [
        ("data/samples/jobs", None, 6),  # job lists, no log events
        ("data/samples/", "2030-01-01", 6),  # a scope past every event
        ("data/samples/on-demand", None, 0),  # events, no job lists
    ],
)
def test_health_and_alerts_of_logs_or_jobs_alone(inputs, since, health_rows):
    frames = pv.load(inputs)
    if since:
        with pytest.warns(UserWarning, match=r"^no event matches since='2030-01-01'; the frames"):
            frames = pv.analysis.filter_frames(frames, since=since)
    health = pv.analysis.job_health(frames)
    assert list(health.columns) == HEALTH_COLUMNS
    assert len(health) == health_rows
    assert (health["events"] == 0).all()
    alerts = pv.analysis.alerts(frames, window="3h")
    assert list(alerts.columns) == ALERT_COLUMNS
    # a scope past every event keeps the job snapshots, but no alert window of theirs (all
    # before it) is claimed inside the scope: they are dropped (`alert_scope.cut_to_scope`)
    expected = ["quarantined", *["silentJob"] * 4] if health_rows and not since else []
    assert sorted(alerts["kind"]) == expected


def test_alert_messages_say_the_window_as_people_write_it(samples):
    alerts = pv.analysis.alerts(samples, window="3h")
    silent = alerts[alerts["kind"] == "silentJob"]["message"].tolist()
    assert silent and all(m.startswith("no event in the 3 h before ") for m in silent)
    spans = pv.analysis.alerts(samples, window="1d", failure_rate=0.1)["message"]
    assert not spans.str.contains("days").any()
