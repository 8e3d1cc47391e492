"""`provlytics report` of a snapshot: its narrowing on the page, and a snapshot beside other
inputs (found by a new user's trial of main at 82d686c)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from reportdata import SAMPLES
from reportpage import ReportPage

from provlytics import analysis
from provlytics.cli import main

pytestmark = pytest.mark.filterwarnings(
    "ignore:'isolated_filesystem' is deprecated:DeprecationWarning"
)


def test_the_report_of_a_narrowed_snapshot_says_how_it_was_narrowed(samples, tmp_path):
    snapshot = analysis.filter_frames(samples, since="2d", target_system="Slack")
    snapshot.to_parquet(tmp_path / "snap1")
    result = CliRunner().invoke(
        main, ["report", str(tmp_path / "snap1"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    page = ReportPage.read(result.output.removeprefix("Report: ").strip())
    assert page.header.endswith(
        "Inputs: snap1.Narrowed to since 2d (2026-11-20 23:51 UTC), target system Slack."
    )


def test_a_report_of_a_snapshot_not_narrowed_says_no_narrowing(samples, tmp_path):
    samples.to_parquet(tmp_path / "whole")
    result = CliRunner().invoke(
        main, ["report", str(tmp_path / "whole"), "--out", str(tmp_path / "r")]
    )
    page = ReportPage.read(result.output.removeprefix("Report: ").strip())
    assert page.header.endswith("Inputs: whole.")


def test_a_store_beside_log_folders_is_a_usage_error():
    runner = CliRunner()
    with runner.isolated_filesystem():
        assert (
            runner.invoke(main, ["load", str(SAMPLES / "graph-v1"), "--out", "st"]).exit_code == 0
        )
        result = runner.invoke(main, ["report", "st", str(SAMPLES / "portal"), "--out", "r7"])
        assert (result.exit_code, result.output) == (
            2,
            "Error: st is a provlytics store/snapshot (it has a manifest.json): give it alone, "
            "or give only log files and folders\n",
        )
        assert not Path("r7").exists()
