"""Mistakes a new user makes with inputs and options, and what they are told: datasets among
the inputs, --out and --lock-timeout, on_error, rejected files, pv.privacy, a value that is
not in the data (found by a new user's trial of main at 47d82ec)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import payloads as p
import pytest
from reportdata import SAMPLES

import provlytics as pv
from provlytics.cli import main

SLACK_JOB = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
pytestmark = pytest.mark.filterwarnings(
    "ignore:'isolated_filesystem' is deprecated:DeprecationWarning"
)


def write_good(path: str) -> Path:
    return p.write_json(Path(path), p.graph_page(p.v1_failure_contoso(), p.v1_success_aws()))


def test_a_store_inside_its_input_folder_is_skipped_on_the_next_load(runner, caplog):
    with runner.isolated_filesystem():
        write_good("samp/page.json")
        first = runner.invoke(main, ["load", "samp", "--out", "samp/store"])
        assert first.exit_code == 0, first.output
        with caplog.at_level(logging.INFO, logger="provlytics.sources.inputs"):
            again = runner.invoke(main, ["load", "samp", "--out", "samp/store"])
        assert again.exit_code == 0, again.output
        assert again.output.splitlines()[0] == (
            "Loaded into samp/store: events +2 (2 replaced), steps +5 (5 replaced), "
            "modified_properties +11 (11 replaced), errors +1 (1 replaced), job_status +0"
        )
        assert "skipping samp/store: the output folder of this load" in caplog.messages


def test_a_dataset_inside_an_input_folder_is_skipped(runner, caplog):
    with runner.isolated_filesystem():
        write_good("in/page.json")
        assert runner.invoke(main, ["report", "in", "--out", "in/report"]).exit_code == 0
        with caplog.at_level(logging.INFO, logger="provlytics.sources.inputs"):
            result = runner.invoke(main, ["load", "in", "--out", "t10"])
        assert result.exit_code == 0, result.output
        assert "skipping in/report: a provlytics dataset, not saved logs" in caplog.messages
        manifest = json.loads(Path("t10/manifest.json").read_text(encoding="utf-8"))
        assert manifest["sources"] == ["page.json"]


def test_a_glob_leaves_out_the_files_of_a_dataset_and_of_the_output(runner, caplog):
    with runner.isolated_filesystem():
        write_good("exports/page.json")
        assert runner.invoke(main, ["load", "exports", "--out", "exports/store"]).exit_code == 0
        with caplog.at_level(logging.INFO, logger="provlytics.sources.inputs"):
            result = runner.invoke(main, ["load", "exports/**/*.json", "--out", "exports/store"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[1].startswith("Read 2 records;")
        skipped = [m for m in caplog.messages if m.startswith("skipping exports/store/")]
        assert skipped and all(
            m.endswith("in exports/store, the output folder of this load") for m in skipped
        )
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="provlytics.sources.inputs"):
            result = runner.invoke(main, ["load", "exports/**/*.json", "--out", "elsewhere"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[1].startswith("Read 2 records;")
        assert caplog.messages[-1].endswith(
            "in exports/store, a provlytics dataset, not saved logs"
        )


def test_a_dataset_named_as_an_input_is_refused(runner):
    with runner.isolated_filesystem():
        write_good("page.json")
        assert runner.invoke(main, ["report", "page.json", "--out", "report"]).exit_code == 0
        result = runner.invoke(main, ["load", "report", "--out", "t10"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: report: a provlytics dataset (it has a manifest.json or Delta tables), not "
            "saved logs: read it with pv.read_parquet('report'), or give it to `provlytics "
            "report` alone\n",
        )
        assert not Path("t10").exists()


def test_out_below_a_file_is_a_usage_error(runner):
    with runner.isolated_filesystem():
        write_good("page.json")
        Path("empty.json").write_text("", encoding="utf-8")
        result = runner.invoke(main, ["load", "page.json", "--out", "empty.json/sub"])
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == (
            "Error: Invalid value for '--out': empty.json/sub: empty.json is a file, not a folder"
        )


def test_a_negative_lock_timeout_is_a_usage_error(runner):
    with runner.isolated_filesystem():
        write_good("page.json")
        result = runner.invoke(main, ["load", "page.json", "--out", "o", "--lock-timeout", "-5"])
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == (
            "Error: Invalid value for '--lock-timeout': -5.0 is not in the range x>=0."
        )
        assert not Path("o").exists()


def test_the_files_collect_errors_rejects_are_named_in_the_manifest(runner):
    with runner.isolated_filesystem():
        write_good("in/page.json")
        Path("in/empty.json").write_text("", encoding="utf-8")
        Path("in/cut.json").write_text('{"value": [{"id": ', encoding="utf-8")
        result = runner.invoke(main, ["load", "in", "--out", "store", "--collect-errors"])
        assert result.exit_code == 0, result.output
        manifest = json.loads(Path("store/manifest.json").read_text(encoding="utf-8"))
        assert manifest["records_rejected"] == 2
        assert manifest["rejected_files"] == ["cut.json", "empty.json"]
        assert manifest["sources"] == ["cut.json", "empty.json", "page.json"]


def test_a_load_without_rejected_files_records_none(runner):
    with runner.isolated_filesystem():
        write_good("page.json")
        assert runner.invoke(main, ["load", "page.json", "--out", "store"]).exit_code == 0
        manifest = json.loads(Path("store/manifest.json").read_text(encoding="utf-8"))
        assert "rejected_files" not in manifest


@pytest.mark.parametrize(
    "call",
    [pv.load, lambda path, **kw: pv.load_to_parquet(path, "o", **kw), pv.load_dask],
)
def test_an_unknown_on_error_is_refused(tmp_path, call):
    page = write_good(str(tmp_path / "page.json"))
    with pytest.raises(pv.ConfigError) as raised:
        call(page, on_error="skip")
    assert str(raised.value) == (
        "on_error takes 'raise' or 'collect'; got 'skip' (\"collect\" sets bad records and "
        "unreadable files aside in frames.rejects)"
    )


def test_read_parquet_says_a_folder_is_missing_or_holds_logs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pv.InputError) as missing:
        pv.read_parquet("nothere")
    assert str(missing.value) == "nothere: no such folder"
    write_good("exports/page.json")
    with pytest.raises(pv.InputError) as logs:
        pv.read_parquet("exports")
    assert str(logs.value) == (
        "exports: not a provlytics dataset (no manifest.json) but it holds 1 log file: read them "
        "with pv.load('exports'), or write a dataset with pv.load_to_parquet"
    )
    with pytest.raises(pv.InputError) as file:
        pv.read_parquet("exports/page.json")
    assert str(file.value) == "exports/page.json: a file, not a dataset folder"


def test_pv_privacy_is_there_without_an_import():
    assert pv.privacy.PERSONAL_ATTRIBUTES is pv.privacy.__dict__["PERSONAL_ATTRIBUTES"]
    assert "privacy" in pv.__all__


def test_a_job_not_in_the_data_is_one_error_line(tmp_path):
    command = "from provlytics.cli import main; main()"
    args = ["report", str(SAMPLES), "--out", str(tmp_path / "out"), "--job", "nosuchjob"]
    out = subprocess.run([sys.executable, "-c", command, *args], capture_output=True, text=True)
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()  # the error says it all: no warning before it
    assert line == (
        "Error: --job 'nosuchjob' is not present in the inputs; none of the 6 present is "
        "close; their apps: Contoso Expenses (SCIM), Salesforce, ServiceNow, Slack, Workday "
        "to Active Directory User Provisioning; the inputs hold 2033 events from 2026-11-14 "
        "00:04 to 2026-11-22 23:51 UTC, of 6 jobs in 5 apps"
    )  # not the 6 full job ids (~500 characters)


def test_a_mistyped_job_is_said_with_the_closest_jobs_and_their_apps(runner, tmp_path):
    typo = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d1488"
    result = runner.invoke(
        main, ["report", str(SAMPLES), "--out", str(tmp_path / "out"), "--job", typo]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: --job '{typo}' is not present in the inputs; closest: {typo}0 (Slack) (of 6 "
        "present); the inputs hold 2033 events from 2026-11-14 00:04 to 2026-11-22 23:51 UTC, "
        "of 6 jobs in 5 apps\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("job", ["slack", "Slack"])
def test_a_job_given_by_its_template_or_app_names_that_job(runner, tmp_path, job):
    result = runner.invoke(
        main, ["report", str(SAMPLES), "--out", str(tmp_path / "out"), "--job", job]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: --job {job!r} is not present in the inputs; closest: {SLACK_JOB} (Slack) "
        "(of 6 present); the inputs hold 2033 events from 2026-11-14 00:04 to 2026-11-22 "
        "23:51 UTC, of 6 jobs in 5 apps\n"
    )  # was "none of the 6 present is close; their apps: ..., Slack, ..."


def test_a_window_outside_the_data_is_said_with_what_the_inputs_hold(runner, tmp_path):
    args = ["report", str(SAMPLES), "--out", str(tmp_path / "out"), "--since", "2030-01-01"]
    result = runner.invoke(main, args)
    assert (result.exit_code, result.output) == (
        1,
        "Error: no event matches --since '2030-01-01'; the inputs hold 2033 events from "
        "2026-11-14 00:04 to 2026-11-22 23:51 UTC, of 6 jobs in 5 apps: Contoso Expenses "
        "(SCIM), Salesforce, ServiceNow, Slack, Workday to Active Directory User Provisioning\n",
    )


def test_a_job_not_in_the_data_beside_one_that_is_is_a_warning(tmp_path):
    slack = "slack.f38b2ffc80a44f5a91c9bc701e7ea419.59001ac9-4063-49bc-a5b0-0a2d35d14880"
    command = "from provlytics.cli import main; main()"
    args = ["report", str(SAMPLES), "--out", str(tmp_path / "out"), "--job", slack]
    out = subprocess.run(
        [sys.executable, "-c", command, *args, "--job", "nosuchjob"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == ["Warning: job_id 'nosuchjob' is not present in this data"]
    assert out.stdout.splitlines()[0] == f"Report: {tmp_path / 'out' / 'report.html'}"


def test_an_excel_workbook_named_as_an_input_says_to_save_it_as_csv(runner):
    with runner.isolated_filesystem():
        Path("ProvisioningLogs.xlsx").write_bytes(b"PK\x03\x04 a workbook")
        result = runner.invoke(main, ["load", "ProvisioningLogs.xlsx", "--out", "out"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: ProvisioningLogs.xlsx: an Excel workbook: provlytics reads CSV and JSON "
        "exports; save it as CSV (comma delimited) or load the export it came from\n"
    )


@pytest.mark.parametrize(
    ("record", "said"),
    [
        (None, "null"),
        ([1], "a list"),
        ("x", "a string"),
        (3, "a number"),
        (2.5, "a number"),
        (True, "true"),
        (False, "false"),
    ],
)
def test_a_record_that_is_not_an_object_is_named_as_json_names_it(tmp_path, record, said):
    page = p.write_json(tmp_path / "page.json", p.graph_page(p.v1_success_aws(), record))
    frames = pv.load(page, on_error="collect")
    assert len(frames.events) == 1
    assert frames.rejects["origin"].tolist() == [f"{page}: record 2"]
    assert frames.rejects["reason"].tolist() == [f"expected a JSON object, got {said}"]
