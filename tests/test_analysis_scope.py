"""pv.analysis.filter_frames: time window (absolute and relative), jobs, targets, apps; the
children follow their events; job_status follows the jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import analysis_world as w
import pandas as pd
import pytest

import provlytics as pv

A = pv.analysis


@pytest.fixture
def frames(tmp_path: Path) -> pv.ProvisioningFrames:
    return w.world(tmp_path)


def ids(frames: pv.ProvisioningFrames, name: str = "events") -> list[str]:
    return sorted(set(frames.table(name)["event_id"].to_pylist()))


def test_no_filter_keeps_everything(frames):
    out = A.filter_frames(frames)
    assert isinstance(out, pv.ProvisioningFrames)
    assert (
        out.counts()
        == frames.counts()
        == {
            "events": 8,
            "steps": 19,
            "modified_properties": 3,
            "errors": 5,
            "job_status": 2,
        }
    )
    assert out.sources == frames.sources
    kept_all = A.filter_frames(frames, since="2026-01-01")
    assert kept_all.table("steps") is frames.table("steps")  # nothing dropped: no copy


def test_since_until_half_open_window_with_children(frames):
    out = A.filter_frames(frames, since="2026-11-18T10:30", until="2026-11-18 12:10")
    assert ids(out) == ["e2", "e3", "e4"]  # 10:30 kept, 12:10 left out
    assert ids(out, "errors") == ["e2", "e3", "e4"]
    assert out.counts()["steps"] == 2 + 3 + 2
    assert out.counts()["modified_properties"] == 0
    assert out.counts()["job_status"] == 2  # no job filter: every snapshot


def test_relative_since_counts_back_from_the_newest_event(frames):
    assert ids(A.filter_frames(frames, since="2h")) == ["e6", "e7", "e8"]  # >= 12:40
    assert ids(A.filter_frames(frames, until="4h")) == ["e1", "e2"]  # < 10:40
    assert ids(A.filter_frames(frames, since="100d")) == ids(frames)


def test_datetime_bounds_and_naive_means_utc(frames):
    aware = A.filter_frames(frames, since=datetime(2026, 11, 18, 13, tzinfo=UTC))
    naive = A.filter_frames(frames, since=pd.Timestamp("2026-11-18 13:00"))
    assert ids(aware) == ids(naive) == ["e6", "e7", "e8"]
    shifted = A.filter_frames(frames, since="2026-11-18T14:00+01:00")  # 13:00 UTC
    assert ids(shifted) == ["e6", "e7", "e8"]


def test_job_filter_keeps_its_job_status(frames):
    out = A.filter_frames(frames, job_id=w.JOB_B)
    assert ids(out) == ["e4", "e5", "e6", "e8"]
    assert out.table("job_status")["job_id"].to_pylist() == [w.JOB_B]
    both = A.filter_frames(frames, job_id=[w.JOB_A, w.JOB_B.upper()])
    assert both.counts()["events"] == 8 and both.counts()["job_status"] == 2


def test_target_and_service_principal_by_name_or_id(frames):
    assert ids(A.filter_frames(frames, target_system="slack")) == ["e1", "e2", "e3", "e7"]
    by_id = A.filter_frames(frames, service_principal=w.SP["Salesforce"].lower())
    by_name = A.filter_frames(frames, service_principal=["Salesforce"])
    assert ids(by_id) == ids(by_name) == ["e4", "e5", "e6", "e8"]
    combined = A.filter_frames(frames, target_system="Slack", since="2026-11-18T11:00")
    assert ids(combined) == ["e3", "e7"]


def test_views_of_a_filtered_scope(frames):
    scoped = A.filter_frames(frames, job_id=w.JOB_A)
    summary = A.failure_summary(scoped, by=["error_code"])
    assert summary["events"].tolist() == [1, 1]
    assert summary["share"].tolist() == [0.25, 0.25]  # of the 4 events in scope


def test_nothing_in_scope_gives_empty_tables(frames):
    with pytest.warns(UserWarning) as caught:
        out = A.filter_frames(frames, job_id="no-such-job")
    assert [str(w.message) for w in caught] == [  # which says why none is kept: no second
        "job_id 'no-such-job' is not present in this data"
    ]
    assert out.counts() == {
        "events": 0,
        "steps": 0,
        "modified_properties": 0,
        "errors": 0,
        "job_status": 0,
    }
    assert A.failure_summary(out).empty


@pytest.mark.filterwarnings("error")  # no UserWarning: nothing to name
def test_empty_frames_and_duck_typed_frames():
    assert A.filter_frames(pv.ProvisioningFrames(), since="7d").counts()["events"] == 0

    class Frames:  # only DataFrames, no Arrow tables
        events = pv.ProvisioningFrames().events

    assert A.filter_frames(Frames(), job_id="x").counts()["events"] == 0  # no warning


@pytest.mark.parametrize("bad", ["yesterday-ish", "7 parsecs", "2026-13-45"])
def test_unreadable_time_bound_is_a_config_error(frames, bad):
    with pytest.raises(pv.ConfigError, match="since="):
        A.filter_frames(frames, since=bad)


def test_filter_frames_keeps_the_pseudonymized_marker() -> None:
    frames = pv.load("data/samples/graph-v1").pseudonymize("k" * 32)
    scoped = pv.analysis.filter_frames(frames, since="2026-11-19")
    assert scoped.pseudonymized == frames.pseudonymized
    assert scoped.pseudonymized is not None


FACTS = (
    "2033 events from 2026-11-14 00:04 to 2026-11-22 23:51 UTC, of 6 jobs in 5 apps: Contoso "
    "Expenses (SCIM), Salesforce, ServiceNow, Slack, Workday to Active Directory User "
    "Provisioning"
)


def test_a_window_keeping_no_event_warns_what_the_frames_hold(samples):
    """`provlytics report --since` said it; in Python the 0 events came silently."""
    with pytest.warns(UserWarning) as caught:
        out = A.filter_frames(samples, since="2030-01-01")
    assert len(out.events) == 0
    assert [str(w.message) for w in caught] == [
        f"no event matches since='2030-01-01'; the frames hold {FACTS}"
    ]
    assert caught[0].filename == __file__  # at the user's line


def test_a_path_keeping_no_event_warns_what_the_folder_holds(samples, tmp_path):
    path = samples.to_parquet(tmp_path / "snap")
    with pytest.warns(UserWarning) as caught:
        out = A.filter_frames(path, until="2026-11-14", target_system="Slack")
    assert len(out.events) == 0  # the first event is later
    assert str(caught[0].message).startswith(
        f"no event matches until='2026-11-14' and target_system='Slack'; {path} holds 2033 "
    )
    with pytest.warns(UserWarning) as caught:
        A.filter_frames(str(path), since="2030-01-01")
    assert [str(w.message) for w in caught] == [
        f"no event matches since='2030-01-01'; {path} holds {FACTS}"
    ]


@pytest.mark.filterwarnings("error")  # a scope keeping events says nothing
def test_a_scope_keeping_events_does_not_warn(samples):
    assert len(A.filter_frames(samples, since="7d", service_principal="Slack").events) == 364
