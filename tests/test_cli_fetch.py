"""`provlytics fetch` against the local fake Graph, credentials from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fakegraph import JOB_ID, TOKEN, FakeGraph, record

from provlytics.cli.fetch import fetch_command
from provlytics.datasets import read_parquet


@pytest.fixture
def env(graph: FakeGraph, graph_url: str) -> dict[str, str]:
    return {"PROVLYTICS_TOKEN": TOKEN, "PROVLYTICS_GRAPH_URL": graph_url}


def test_fetch_writes_the_dataset_and_prints_counts(env, graph, httpserver, tmp_path) -> None:
    out = tmp_path / "report"
    graph.expected_filter = (
        "activityDateTime gt 2026-11-15T00:00:00Z and activityDateTime lt 2026-11-16T12:00:00Z"
        f" and provisioningStatusInfo/status eq 'success' and jobId eq '{JOB_ID}'"
    )
    args = ["--since", "2026-11-15T00:00:00Z", "--until", "2026-11-16T12:00:00Z"]
    args += ["--status", "success", "--job-id", JOB_ID, "--window", "2d", "--top", "2"]
    result = CliRunner().invoke(fetch_command, [*args, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Fetched 5 records: events 5, steps 0, modified_properties 0, errors 0, job_status 0",
        f"Wrote {out}",
    ]
    sent = [request for request, _ in httpserver.log]
    assert [r.headers["Authorization"] for r in sent] == [f"Bearer {TOKEN}"] * 3
    assert read_parquet(out).counts()["events"] == 5
    assert (out / ".spool" / "checkpoint.json").exists()


def test_token_option_overrides_the_environment(env, graph, tmp_path) -> None:
    env["PROVLYTICS_TOKEN"] = "stale"
    args = ["--token", TOKEN, "--out", str(tmp_path / "r"), "--spool", str(tmp_path / "s")]
    result = CliRunner().invoke(fetch_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert Path(tmp_path / "s" / "checkpoint.json").exists()


def test_errors_are_one_line_without_the_token(env, graph, tmp_path) -> None:
    graph.fail("401", "401")
    result = CliRunner().invoke(fetch_command, ["--out", str(tmp_path / "r")], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: static_token_rejected")
    assert len(result.output.splitlines()) == 1
    assert TOKEN not in result.output


def test_missing_credentials_name_every_way(graph_url, tmp_path, monkeypatch) -> None:
    for name in ("PROVLYTICS_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        fetch_command, ["--out", str(tmp_path / "r"), "--graph-url", graph_url], env={}
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: Microsoft Graph credentials are missing (none is set). Supply them in one of "
        "these ways:\n"
        "  - give --token, or --tenant-id, --client-id and --client-secret "
        "(or --certificate-path);\n"
        "  - set PROVLYTICS_TOKEN to a bearer token (e.g. copied from Graph Explorer);\n"
        "  - set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or AZURE_TENANT_ID, "
        "AZURE_CLIENT_ID and AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD).\n"
    )  # the command's own options first; no Python way (credential=) on a command line


def test_a_missing_setting_is_named_by_its_option_and_variable(graph_url, tmp_path) -> None:
    env = {"PROVLYTICS_TOKEN": None, "AZURE_TENANT_ID": None, "AZURE_CLIENT_ID": None}
    args = ["--out", str(tmp_path / "r"), "--graph-url", graph_url, "--tenant-id", "t"]
    result = CliRunner().invoke(fetch_command, args, env=env)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "Error: Microsoft Graph credentials are missing (--client-id / AZURE_CLIENT_ID). "
        "Supply them in one of these ways:"
    )


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(fetch_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--since", "--incremental", "--no-resume", "--spool", "--tenant-id", "--token"):
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "garbage"], "Error: --since 'garbage' is not a date, a time or a duration"),
        (["--until", "last week"], "Error: --until 'last week' is not a date, a time or a"),
        (
            ["--since", "2026-11-20", "--until", "2026-11-10"],
            "Error: --since '2026-11-20' (2026-11-20 00:00:00 UTC) is after --until '2026-11-10' "
            "(2026-11-10 00:00:00 UTC): no event can be in that window (swap them?)",
        ),
    ],
)
def test_bad_times_are_usage_errors_before_credentials(graph, tmp_path, args, message) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(fetch_command, [*args, "--out", str(out)], env={})
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "credential" not in result.output.lower()  # judged before credentials are looked up
    assert not out.exists()  # no spool, no dataset folder
    assert graph.calls == 0


def filters_sent(httpserver) -> list[str | None]:
    return [request.args.get("$filter") for request, _ in httpserver.log]


def test_an_incremental_run_after_a_fetch_starts_at_its_watermark(
    env, graph, httpserver, tmp_path
) -> None:
    out = tmp_path / "store"
    graph.records = [record(0, "2026-11-14T06:00:00Z"), record(1, "2026-11-15T06:00:00Z")]
    graph.records += [record(2, "2026-11-16T00:00:00Z")]
    since = ["--since", "2026-11-13T00:00:00Z"]
    result = CliRunner().invoke(fetch_command, [*since, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Fetched 3 records")
    graph.records += [record(3, "2026-11-15T23:58:00Z"), record(4, "2026-11-16T01:00:00Z")]
    httpserver.clear_log()
    result = CliRunner().invoke(fetch_command, ["--incremental", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        f"Incremental: from 2026-11-15T23:55:00Z (the watermark in {out / '.spool'}, "
        "2026-11-16T00:00:00Z, minus 5m)",
        "Fetched 3 records: events 3, steps 0, modified_properties 0, errors 0, job_status 0",
    ]  # the event in the overlap and the two new ones, not all five
    sent = filters_sent(httpserver)
    assert sent[0] == (
        "activityDateTime gt 2026-11-15T23:55:00Z and activityDateTime lt 2026-11-16T23:55:00Z"
    )
    assert all(f is not None and f.startswith("activityDateTime gt 2026-11-") for f in sent)
    assert sorted(read_parquet(out).events["event_id"]) == [f"evt-{i:03d}" for i in range(5)]

    httpserver.clear_log()
    result = CliRunner().invoke(fetch_command, ["--incremental", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        f"Incremental: from 2026-11-16T00:55:00Z (the watermark in {out / '.spool'}, "
        "2026-11-16T01:00:00Z, minus 5m)",
        "Fetched 1 record: events 1, steps 0, modified_properties 0, errors 0, job_status 0",
    ]


def test_an_incremental_run_with_nothing_held_says_it_fetches_everything(
    env, graph, httpserver, tmp_path
) -> None:
    out = tmp_path / "store"
    result = CliRunner().invoke(fetch_command, ["--incremental", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Incremental: everything Graph keeps (7 days; 30 with Entra ID P1/P2): "
        f"{out / '.spool'} has no watermark and no event is in {out} yet; "
        "give since= (--since) to fetch less",
        "Fetched 5 records: events 5, steps 0, modified_properties 0, errors 0, job_status 0",
    ]
    assert filters_sent(httpserver) == [None]  # one open window: all that Graph keeps


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "0h"], "Error: --window '0h' is not a positive duration such as '7d'"),
        (
            ["--window", "1M"],
            "Error: --window '1M' is not read: 'M' is a month to some and a minute to others; "
            "write 30d for a month; 1min or 1m for a minute",
        ),
        (["--incremental", "--overlap", "abc"], "Error: --overlap 'abc' is not a duration"),
        (["--incremental", "--overlap", "-5m"], "Error: --overlap '-5m' is not a duration of"),
        (["--overlap", "1y"], "Error: --overlap '1y' is not read: a year has no fixed length"),
        (["--since", "1M"], "Error: --since '1M' is not read: 'M' is a month to some"),
    ],
)
def test_bad_lengths_are_usage_errors_before_any_request(env, graph, tmp_path, args, message):
    out = tmp_path / "fresh"  # no watermark: before, a bad --overlap went to Graph unread
    result = CliRunner().invoke(fetch_command, [*args, "--out", str(out)], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert graph.calls == 0
    assert not out.exists()  # no checkpoint keeps the bad value for the next run


def test_an_overlap_of_zero_starts_at_the_watermark(env, graph, httpserver, tmp_path) -> None:
    out = tmp_path / "store"
    args = ["--incremental", "--overlap", "0s", "--out", str(out)]
    assert CliRunner().invoke(fetch_command, args, env=env).exit_code == 0
    httpserver.clear_log()
    result = CliRunner().invoke(fetch_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"Incremental: from 2026-11-16T00:04:00Z (the watermark in {out / '.spool'}, "
        "2026-11-16T00:04:00Z, minus 0s)"
    )
    assert filters_sent(httpserver)[0].startswith("activityDateTime gt 2026-11-16T00:04:00Z and")


def test_a_window_longer_than_the_range_fetches_it_in_one_window(
    env, graph, httpserver, tmp_path
) -> None:
    """`--window 99999999d` passed the duration check and overflowed a date when the fetch
    planned its first window: a traceback, and a checkpoint that refused the next run."""
    out = tmp_path / "store"
    args = ["--since", "2026-11-15", "--window", "99999999d", "--out", str(out)]
    result = CliRunner().invoke(fetch_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert any(line.startswith("Fetched ") for line in result.output.splitlines())
    [sent] = filters_sent(httpserver)  # one window, from since to now
    assert sent.startswith("activityDateTime gt 2026-11-15T00:00:00Z")
