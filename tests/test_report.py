"""`provlytics report` and `pv.report.write_report`: files written, sections, the numbers shown
are the analysis helpers' results, hostile names escaped, a user's mistake is one clean line."""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner
from reportdata import HOSTILE, SAMPLES, write_hostile_page
from reportpage import ReportPage
from widgetpage import widget_blocks

import provlytics as pv
from provlytics import analysis
from provlytics.cli import main
from provlytics.report import SECTION_IDS, compute_summaries, display_sources, write_report
from provlytics.widgets import JobHealthPanel

pytestmark = pytest.mark.filterwarnings(
    "ignore:'isolated_filesystem' is deprecated:DeprecationWarning"
)
SUMMARY_FILES = {f"{name}.csv" for name in compute_summaries(pv.ProvisioningFrames())}


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> ReportPage:
    result = CliRunner().invoke(
        main, ["report", str(SAMPLES), "--out", str(tmp_path_factory.mktemp("r") / "out")]
    )
    assert result.exit_code == 0, result.output
    return ReportPage.read(result.output.removeprefix("Report: ").strip())


def _report(runner: CliRunner, *args: str) -> ReportPage:
    result = runner.invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return ReportPage.read(result.output.removeprefix("Report: ").strip())


def test_report_writes_tables_summaries_and_one_page(runner, samples):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["report", str(SAMPLES), "--out", "out"])
        assert result.exit_code == 0, result.output
        assert result.output == "Report: out/report.html\n"
        assert pv.read_parquet("out").counts() == samples.counts()
        assert {p.name for p in Path("out/summaries").iterdir()} == SUMMARY_FILES
        text = Path("out/report.html").read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>")
        assert "http://" not in text and "https://" not in text and "<script" not in text


def test_every_section_is_there_with_a_heading(sample_page):
    assert list(sample_page.sections) == list(SECTION_IDS)
    assert sample_page.sections["top-errors"] == "Top errors"
    assert all(sample_page.sections.values())


def test_overview_figures_are_the_tables(sample_page, samples):
    objects = analysis.objects_by_type(samples)
    assert sample_page.cards == {
        "Events": "2,033",
        "Failures": "252",
        "Warnings": "49",
        "Skipped": "517",
        "Succeeded": "1,215",
        "Identities": f"{int(objects['objects'].sum()):,}",
        "First event": "2026-11-14 00:04 UTC",
        "Last event": "2026-11-22 23:51 UTC",
    }
    assert len(samples.events) == 2033
    assert (samples.events["status"] == "failure").sum() == 252


def test_top_errors_table_is_the_failure_summary(sample_page, samples):
    shown = sample_page.table("top-errors")
    summary = analysis.failure_summary(samples, status="both")
    assert len(shown) == min(25, len(summary))
    for row, (_, expected) in zip(shown, summary.iterrows(), strict=False):
        assert row["error code"] == expected["error_code"]
        assert row["target system name"] == expected["target_system_name"]
        assert row["events"] == f"{expected['events']:,}"
    assert sum(int(r["events"]) for r in shown) <= 301  # failed or warned events


def test_failure_table_shows_the_columns_its_heading_names_telling_ones_first(sample_page):
    # heading: "Failures and warnings by code, category, target system and action"
    assert sample_page.tables["top-errors"][0][0] == [
        "status", "error code", "error category", "target system name", "action", "events",
        "identities", "share", "recommended action", "last seen", "example reason",
    ]  # fmt: skip
    assert sample_page.tables["job-health"][0][0][:9] == [
        "job id", "status code", "schedule state", "quarantined", "events", "failures",
        "reference failures", "escrow share", "escrow share ÷ 40%",
    ]  # fmt: skip


def test_job_health_shows_what_its_escrow_share_is_worked_out_from_as_the_panel_does(
    sample_page, samples
):
    """The report left out reference_failures, so 37 failures over 303 events could not give
    the 10.2% shown ((37 - 6) / 303), and ordered its columns unlike `JobHealthPanel`."""
    panel = JobHealthPanel(samples)
    panel_head = widget_blocks(panel._repr_html_())["Jobs"].cells[0]
    report_head = sample_page.tables["job-health"][0][0]
    assert [c.replace("_", " ") for c in panel_head] == report_head
    scim = next(r for r in sample_page.table("job-health") if r["job id"].startswith("scim."))
    shown = [scim[c] for c in ("failures", "reference failures", "events", "escrow share")]
    assert shown == ["37", "6", "303", "10.2%"]


def test_summary_files_are_the_helpers_results(tmp_path, samples):
    write_report(samples, tmp_path, parquet=False)
    saved = pd.read_csv(tmp_path / "summaries" / "failure_summary.csv")
    summary = analysis.failure_summary(samples, status="both")
    assert saved["events"].tolist() == summary["events"].tolist()
    assert saved["error_code"].tolist() == summary["error_code"].astype(str).tolist()
    assert saved["events"].sum() == 301
    assert not (tmp_path / "manifest.json").exists()


def test_a_parquet_report_folder_is_read_back(runner, samples):
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["load", str(SAMPLES), "--out", "data"]).exit_code == 0
        page = _report(runner, "data", "--out", "out")
        assert page.cards["Events"] == f"{len(samples.events):,}"
        assert page.cards["Failures"] == "252"
        assert "Inputs: data." in page.header


def test_since_until_and_job_narrow_every_view(runner, samples):
    job = samples.events["job_id"].dropna().iloc[0]
    scoped = analysis.filter_frames(samples, since="2026-11-18", until="2026-11-20", job_id=[job])
    with runner.isolated_filesystem():
        page = _report(
            runner, str(SAMPLES), "--out", "out", "--since", "2026-11-18",
            "--until", "2026-11-20", "--job", job,
        )  # fmt: skip
    events = scoped.events
    assert 0 < len(events) < len(samples.events)
    assert page.cards["Events"] == f"{len(events):,}"
    assert page.cards["Failures"] == f"{(events['status'] == 'failure').sum():,}"
    shown = sum(int(r["events"]) for r in page.table("top-errors"))
    assert shown == analysis.failure_summary(scoped, status="both")["events"].head(25).sum()
    assert f"Narrowed to since 2026-11-18, until 2026-11-20, job {job}." in page.header


def test_a_narrowed_report_records_its_scope_in_the_manifest(runner, samples):
    job = samples.events["job_id"].dropna().iloc[0]
    narrowing = {
        "since": "2026-11-18",
        "since_utc": "2026-11-18T00:00:00+00:00",
        "until": "2026-11-20",
        "until_utc": "2026-11-20T00:00:00+00:00",
        "job_id": [job],
        "newest_utc": "2026-11-22T23:51:43+00:00",  # the inputs' newest event (for alerts)
    }
    scoped = analysis.filter_frames(samples, since="2026-11-18", until="2026-11-20", job_id=job)
    newest = scoped.events["activity_time"].max()
    with runner.isolated_filesystem():
        _report(runner, str(SAMPLES), "--out", "whole")
        _report(
            runner, str(SAMPLES), "--out", "out", "--since", "2026-11-18",
            "--until", "2026-11-20", "--job", job,
        )  # fmt: skip
        day_page = _report(runner, "out", "--out", "day", "--since", "1d")  # narrowed again
        whole, out, day = (
            json.loads(Path(f"{name}/manifest.json").read_text(encoding="utf-8"))
            for name in ("whole", "out", "day")
        )
    assert "narrowed" not in whole
    assert out["narrowed"] == [narrowing]
    assert {k: v for k, v in out.items() if k != "narrowed"}.keys() == whole.keys()
    assert out["row_counts"]["events"] == len(scoped.events)
    since = (newest - pd.Timedelta(days=1)).isoformat()
    assert day["narrowed"] == [narrowing, {"since": "1d", "since_utc": since}]
    shown = f"{newest - pd.Timedelta(days=1):%Y-%m-%d %H:%M}"
    assert (  # the snapshot's own narrowing, then this report's
        f"Narrowed to since 2026-11-18, until 2026-11-20, job {job}; then since 1d ({shown} UTC)."
    ) in day_page.header


def test_write_report_of_narrowed_frames_says_so_as_the_command_does(runner, samples, tmp_path):
    job = samples.events["job_id"].dropna().iloc[0]
    scoped = analysis.filter_frames(samples, since="1d", job_id=job)
    page = ReportPage.read(write_report(scoped, tmp_path / "lib"))
    command = _report(
        runner, str(SAMPLES), "--out", str(tmp_path / "cli"), "--since", "1d", "--job", job
    )
    start = samples.events["activity_time"].max() - pd.Timedelta(days=1)
    line = f"Narrowed to since 1d ({start:%Y-%m-%d %H:%M} UTC), job {job}."
    assert page.header.endswith(f".{line}")  # after "Generated ... by provlytics X.Y."
    assert command.header.endswith(f"Inputs: samples.{line}")
    lib, cli = (
        json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
        for name in ("lib", "cli")
    )
    assert lib["narrowed"] == cli["narrowed"] == scoped.narrowed
    assert lib["narrowed"][0]["since"] == "1d" and lib["narrowed"][0]["job_id"] == [job]
    assert page.cards["Events"] == command.cards["Events"] == f"{len(scoped.events):,}"


def test_write_report_of_frames_never_narrowed_says_nothing_of_it(samples, tmp_path):
    page = ReportPage.read(write_report(samples, tmp_path / "whole", parquet=False))
    assert "Narrowed" not in page.header
    until = analysis.filter_frames(samples, until="2026-11-20")
    page = ReportPage.read(write_report(until, tmp_path / "until", parquet=False, scope=["Mine."]))
    assert page.header.endswith(".Mine.Narrowed to until 2026-11-20.")  # after the caller's


def test_a_narrowed_reports_alerts_claim_no_time_outside_it(runner):
    with runner.isolated_filesystem():
        page = _report(
            runner, str(SAMPLES), "--out", "out", "--since", "2026-11-18", "--until", "2026-11-20"
        )
        text = html.unescape(Path("out/report.html").read_text(encoding="utf-8"))
        saved = pd.read_csv("out/summaries/alerts.csv")
    rows = page.table("alerts")
    assert max(r["window end"] for r in rows) == "2026-11-20 00:00:00 UTC"
    assert min(r["window start"] for r in rows) == "2026-11-18 00:00:00 UTC"
    held = next(r for r in rows if r["kind"] == "quarantined")
    assert (held["window start"], held["window end"], held["value"]) == (
        "2026-11-18 05:55:00 UTC", "2026-11-20 00:00:00 UTC", "42.1 h in quarantine",
    )  # fmt: skip
    said = saved.loc[saved["kind"] == "quarantined", "message"].item()
    assert said.endswith(
        "; window cut to the narrowed scope: it ran to 2026-11-20 11:59 UTC, after its end "
        "2026-11-20 00:00 UTC"
    )
    assert (
        "Windows are cut to the time this report was narrowed to (from 2026-11-18 00:00 UTC "
        "until 2026-11-20 00:00 UTC); a cut window says so at the end of its message "
        "(summaries/alerts.csv)."
    ) in text


def test_alerts_are_grouped_by_kind_newest_first_with_units(sample_page, samples):
    rows = sample_page.table("alerts")
    found = analysis.alerts(samples)
    assert len(rows) == len(found) == 9
    assert [r["kind"] for r in rows] == ["quarantined"] + ["failureRateSpike"] * 8
    spikes = [r["window end"] for r in rows[1:]]
    assert spikes == sorted(spikes, reverse=True)
    assert (rows[0]["value"], rows[0]["threshold"]) == ("54.1 h in quarantine", "672 h (4 weeks)")
    assert (rows[1]["value"], rows[1]["threshold"]) == ("22% of processed events failed", "20%")
    saved = found.loc[found["kind"] == "quarantined", ["value", "threshold"]]
    assert saved.values.tolist() == [[pytest.approx(54.068889), 672.0]]  # the helper: numbers


def test_escrow_share_over_the_threshold_is_not_shown_as_a_percentage(sample_page, samples):
    health = analysis.job_health(samples)
    rows = sample_page.table("job-health")
    scim = next(r for r in rows if r["job id"].startswith("scim."))
    risk = health.loc[health["job_id"].str.startswith("scim."), "escrow_risk"].item()
    assert (scim["escrow share"], scim["escrow share ÷ 40%"]) == ("10.2%", f"{risk:.3g}")
    assert scim["escrow share ÷ 40%"] == "0.256"


def test_retry_storms_and_recovery_say_which_still_failing_they_mean(sample_page, samples):
    storms, recovery = sample_page.table("retry-storms", 0), sample_page.table("retry-storms", 1)
    assert list(storms[0])[-1] == "still failing with this code"
    assert list(recovery[0])[-1] == "latest event failed"
    assert "still failing" not in [*storms[0], *recovery[0]]
    failed = analysis.recovery(samples)["still_failing"]
    assert sum(r["latest event failed"] == "yes" for r in recovery) == min(25, failed.sum())


def test_a_report_since_late_in_a_day_shows_no_false_silent_job(runner):
    """Workday2AD cd73… logged at 21:25 and Slack at 18:46 on 11-22: a report since 22:00
    cannot show them silent in the 1 d before 23:51."""
    with runner.isolated_filesystem():
        page = _report(runner, str(SAMPLES), "--out", "out", "--since", "2026-11-22T22:00:00Z")
        saved = pd.read_csv("out/summaries/alerts.csv")
        text = html.unescape(Path("out/report.html").read_text(encoding="utf-8"))
    assert saved.empty and page.tables["alerts"] == []
    assert (
        "(summaries/alerts.csv). A job's silence (silentJob) is judged only when its whole "
        "window lies inside that time."
    ) in text


def test_hostile_names_are_escaped(runner, tmp_path):
    page_file = write_hostile_page(tmp_path)
    with runner.isolated_filesystem():
        page = _report(runner, str(page_file), "--out", "out")
        text = Path("out/report.html").read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert html.escape(HOSTILE) in text
    assert [t for t, _ in page.tags if t in ("script", "iframe", "object")] == []
    assert all(a["src"].startswith("data:image/png;base64,") for t, a in page.tags if t == "img")
    apps = {row["target system name"] for row in page.table("top-errors")}
    assert HOSTILE in apps  # shown, as text


def test_empty_frames_give_every_section(tmp_path):
    path = write_report(pv.ProvisioningFrames(), tmp_path, parquet=False)
    page = ReportPage.read(path)
    assert path == tmp_path / "report.html"
    assert list(page.sections) == list(SECTION_IDS)
    assert page.cards["Events"] == "0"
    assert page.cards["First event"] == "none"


def test_missing_input_is_a_usage_error_without_traceback(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["report", "nowhere.json", "--out", "out"])
    assert result.exit_code == 2
    said = "Error: Invalid value for 'INPUTS': nowhere.json: no such file or folder\n"
    assert result.output == said
    assert not Path("out").exists()


def test_report_reads_patterns_as_load_does(runner, tmp_path):
    pattern = str(SAMPLES / "graph-v1" / "*.json")
    page = _report(runner, pattern, "--out", str(tmp_path / "out"))
    expected = pv.load(pattern)
    assert page.cards["Events"] == f"{len(expected.events):,}"
    assert "Inputs: graph-v1/*.json." in page.header


@pytest.mark.parametrize("inputs", [["graph-v1"], ["store"]])
def test_an_out_that_holds_a_dataset_is_a_usage_error(runner, inputs):
    """The report's tables would merge into it while report.html describes only the inputs
    (the same folder narrowed by --since, or other inputs)."""
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["load", str(SAMPLES), "--out", "store"]).exit_code == 0
        before = pv.read_parquet("store").counts()
        args = [str(SAMPLES / name) if name != "store" else name for name in inputs]
        result = runner.invoke(main, ["report", *args, "--out", "store", "--since", "2d"])
        assert result.exit_code == 2
        assert result.output == (
            "Error: Invalid value for '--out': store already holds a provlytics dataset: the "
            "report's tables would merge into it while report.html describes only these "
            "inputs; choose a new folder\n"
        )
        assert pv.read_parquet("store").counts() == before
        assert not Path("store/report.html").exists()


@pytest.mark.parametrize(
    ("name", "read"), [("empty.json", "0 records"), ("group-success.json", "1 record")]
)
def test_inputs_without_events_are_an_error_that_writes_nothing(runner, name, read):
    """Only empty pages, or a group's provisionOnDemand response (no steps): as `load`."""
    with runner.isolated_filesystem():
        if name == "empty.json":
            Path(name).write_text('{"value": []}', encoding="utf-8")
        else:
            name = str(SAMPLES / "on-demand" / name)
        result = runner.invoke(main, ["report", name, "--out", "out"])
        assert (result.exit_code, result.output) == (
            1,
            f"Error: {Path(name).name}: no provisioning data: {read} read, no event or job "
            "among them; nothing was written\n",
        )
        assert not Path("out").exists()


def test_an_out_that_is_a_file_is_a_usage_error(runner):
    with runner.isolated_filesystem():
        Path("taken").write_text("", encoding="utf-8")
        result = runner.invoke(main, ["report", str(SAMPLES), "--out", "taken"])
        assert result.exit_code == 2
        assert result.output == "Error: Invalid value for '--out': taken is a file, not a folder\n"
        assert Path("taken").read_text(encoding="utf-8") == ""


@pytest.mark.parametrize(
    ("setup", "args", "message", "code"),
    [
        ("notes", ["notes.txt", "--out", "out"], "notes.txt", 1),
        ("dataset", ["data", str(SAMPLES), "--out", "out"], "give it alone", 2),
        (
            "none",
            [str(SAMPLES), "--out", "out", "--job", "nosuchjob"],
            "none of the 6 present is close; their apps: Contoso Expenses (SCIM), Salesforce,",
            1,
        ),
        ("none", [str(SAMPLES), "--out", "out", "--since", "2030-01-01"], "2033 events from", 1),
    ],
)
def test_a_user_mistake_is_one_clean_line(runner, setup, args, message, code):
    with runner.isolated_filesystem():
        Path("notes.txt").write_text("hello, not a log\n", encoding="utf-8")
        Path("taken").write_text("", encoding="utf-8")
        if setup == "dataset":
            runner.invoke(main, ["load", str(SAMPLES / "graph-beta"), "--out", "data"])
        result = runner.invoke(main, ["report", *args])
    assert result.exit_code == code, result.output
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_an_unreadable_time_is_a_usage_error_before_any_input_is_read(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(
            main, ["report", str(SAMPLES), "--out", "out", "--until", "last tuesday"]
        )
    assert result.exit_code == 2, result.output
    assert result.output == (
        "Error: --until 'last tuesday' is not a date, a time or a duration such as '7d'\n"
    )
    assert "Traceback" not in result.output
    assert not Path("out").exists()


@pytest.mark.parametrize(
    ("since", "until", "said"),
    [
        (
            "2026-11-20T05:00",
            "2026-11-20",
            "--since '2026-11-20T05:00' (2026-11-20 05:00:00 UTC) is after --until '2026-11-20' "
            "(2026-11-20 00:00:00 UTC)",
        ),
        (
            "1d",
            "7d",
            "--since '1d' (2026-11-21 23:51:43 UTC) is after --until '7d' "
            "(2026-11-15 23:51:43 UTC)",
        ),  # durations back from the newest event: once the inputs are read
    ],
)
def test_since_after_until_is_a_usage_error_before_anything_is_written(runner, since, until, said):
    with runner.isolated_filesystem():
        args = ["report", str(SAMPLES), "--out", "out", "--since", since, "--until", until]
        result = runner.invoke(main, args)
        assert result.exit_code == 2, result.output
        assert result.output == f"Error: {said}: no event can be in that window (swap them?)\n"
        assert not Path("out").exists()


def test_demo_ends_with_the_report(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["demo", "--out", "report"])
        assert result.exit_code == 0, result.output
        assert result.output.rstrip().endswith("Report: report/report.html")
        assert list(ReportPage.read("report/report.html").sections) == list(SECTION_IDS)


def test_sources_are_shown_relative_to_their_common_folder():
    absolute = ["/home/ana/exports/a/page.json", "/home/ana/exports/b.json"]
    assert display_sources(absolute) == ["exports/a/page.json", "exports/b.json"]
    assert display_sources(["/home/ana/one.json"]) == ["one.json"]
    assert display_sources(["https://graph.microsoft.com/v1.0/x"]) == [
        "https://graph.microsoft.com/v1.0/x"
    ]
    assert display_sources([]) == []


KEY = "a report key, 16 bytes or more"


def test_pseudonymize_takes_its_key_from_the_environment(runner, samples):
    upns = {v for v in samples.events["reportable_identifier"].dropna() if "@" in v}
    assert len(upns) > 100
    with runner.isolated_filesystem():
        result = runner.invoke(
            main,
            ["report", str(SAMPLES), "--out", "out", "--pseudonymize"],
            env={"PROVLYTICS_PSEUDONYMIZE_KEY": KEY},
        )
        assert result.exit_code == 0, result.output
        page = ReportPage.read("out/report.html")
        text = Path("out/report.html").read_text(encoding="utf-8")
        assert pv.read_parquet("out").pseudonymized["method"] == "HMAC-SHA256"
        written = [p for p in Path("out").rglob("*") if p.is_file()]
        assert not any(KEY.encode() in p.read_bytes() for p in written)
    assert [u for u in upns if html.escape(u) in text] == []
    assert "anon-" in text
    assert "Personal values are pseudonymized" in page.header
    assert page.cards["Events"] == "2,033"
    assert page.cards["Failures"] == "252"


def test_pseudonymize_without_a_key_is_a_clean_error(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(
            main,
            ["report", str(SAMPLES), "--out", "out", "--pseudonymize"],
            env={"PROVLYTICS_PSEUDONYMIZE_KEY": ""},
        )
    assert result.exit_code == 1
    assert "PROVLYTICS_PSEUDONYMIZE_KEY" in result.output
    assert "Traceback" not in result.output


def test_a_pseudonymized_dataset_stays_marked_when_narrowed(runner):
    with runner.isolated_filesystem():
        env = {"PROVLYTICS_PSEUDONYMIZE_KEY": KEY}
        args = ["report", str(SAMPLES), "--out", "safe", "--pseudonymize"]
        assert runner.invoke(main, args, env=env).exit_code == 0
        page = _report(runner, "safe", "--out", "week", "--since", "7d")
        assert pv.read_parquet("week").pseudonymized is not None
    assert "Personal values are pseudonymized" in page.header


def test_cycles_table_lists_the_worst_cycles_first(sample_page, samples):
    shown = sample_page.table("cycles")
    cycles = analysis.cycles(samples)
    worst = cycles.sort_values(["failure", "start"], ascending=[False, True], kind="stable")
    assert [r["failure"] for r in shown] == [f"{v:,}" for v in worst["failure"].head(25)]
    assert int(shown[0]["failure"]) == cycles["failure"].max() > 1
    assert list(shown[0])[:3] == ["job id", "service principal name", "start"]  # app by its job
    named = worst[["job_id", "service_principal_name"]].head(25).itertuples(index=False)
    assert [(r["job id"], r["service principal name"]) for r in shown] == [tuple(n) for n in named]
    assert all(r["service principal name"] for r in shown)  # every sample job names its app


def test_the_report_folder_is_owner_only(tmp_path, samples):
    path = pv.report.write_report(samples, tmp_path / "out", parquet=False)
    written = [path, *sorted((tmp_path / "out" / "summaries").glob("*.csv"))]
    assert len(written) > 10
    assert all(p.stat().st_mode & 0o077 == 0 for p in written)
    assert all((tmp_path / "out" / d).stat().st_mode & 0o077 == 0 for d in ("", "summaries"))


def test_write_report_refuses_a_folder_holding_a_dataset(tmp_path, samples):
    samples.to_parquet(tmp_path / "report")
    before = sorted(p.name for p in (tmp_path / "report").iterdir())
    with pytest.raises(pv.ConfigError) as raised:
        write_report(samples, tmp_path / "report")
    assert str(raised.value) == (
        f"{tmp_path / 'report'} already holds a provlytics dataset: the report's tables would "
        "merge into it while report.html describes only these frames; choose a new folder (or "
        "pass parquet=False to write only the page and summaries beside it)"
    )
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == before
    path = write_report(samples, tmp_path / "report", parquet=False)
    assert path == tmp_path / "report" / "report.html"


def test_write_report_reads_a_dataset_path(tmp_path, samples):
    samples.to_parquet(tmp_path / "snapshot")
    path = write_report(str(tmp_path / "snapshot"), tmp_path / "out")
    page = ReportPage.read(path)
    assert page.cards["Events"] == f"{len(samples.events):,}"
    assert page.cards["Failures"] == "252"
    assert pv.read_parquet(tmp_path / "out").counts() == samples.counts()


def test_write_report_given_a_table_says_what_it_takes(tmp_path, samples):
    with pytest.raises(pv.ConfigError) as raised:
        write_report(samples.events, tmp_path / "out")
    assert str(raised.value) == (
        "write_report(frames=...): got a DataFrame (pass the whole frames, not one of its "
        "tables); takes ProvisioningFrames or the path of a store/snapshot folder"
    )
    assert not (tmp_path / "out").exists()


def test_write_report_wants_the_frames_not_an_object_with_their_tables(tmp_path, samples):
    tables_only = SimpleNamespace(events=samples.events)  # the analysis helpers take it
    assert len(analysis.slowest(tables_only, n=3)) == 3
    with pytest.raises(pv.ConfigError) as raised:
        write_report(tables_only, tmp_path / "out")
    assert str(raised.value) == (
        "write_report(frames=...): got a SimpleNamespace; "
        "takes ProvisioningFrames or the path of a store/snapshot folder"
    )


def test_the_page_lists_the_first_20_sources(tmp_path, samples):
    many = copy.copy(samples)
    many.sources = [f"/data/exports/page-{i:02d}.json" for i in range(23)]
    text = (write_report(many, tmp_path / "out", parquet=False)).read_text(encoding="utf-8")
    assert "<li>exports/page-19.json</li>" in text
    assert "page-20.json" not in text
    assert "<li>and 3 more (manifest.json lists them all)</li>" in text
