"""The notebooks' key numbers: each notebook runs top to bottom (nbclient, no network) and the
cells tagged `key-numbers` print exactly these lines. nbval (`make test`) runs them too."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import provlytics as pv

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CREDENTIALS = ("PROVLYTICS_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
SCIM_JOB = "scim.f38b2ffc80a44f5a91c9bc701e7ea419.24114258-751b-4c83-89a0-47dc4ac87fc0"


@cache
def run(name: str) -> nbformat.NotebookNode:
    """The notebook executed in its folder, in a kernel without credentials in its environment."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute(env=env)
    return notebook


def printed(name: str, tag: str | None = "key-numbers") -> list[str]:
    """What each cell (tagged `tag`, or every cell when None) printed to stdout."""
    cells = [
        cell
        for cell in run(name).cells
        if cell.cell_type == "code" and (tag is None or tag in cell.metadata.get("tags", []))
    ]
    return ["".join(o["text"] for o in cell.outputs if o.get("name") == "stdout") for cell in cells]


def test_the_five_notebooks_are_there():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == [
        "01-quickstart",
        "02-failure-investigation",
        "03-conflicts",
        "04-on-demand-drilldown",
        "05-job-health",
    ]


def test_quickstart_loads_every_dialect_and_skips_the_tenant_without_credentials():
    assert printed("01-quickstart") == [
        "{'events': 2033, 'steps': 7852, 'modified_properties': 5259, 'errors': 301, "
        "'job_status': 6}\n"
        "['diagnostic', 'graph.beta.legacy', 'graph.v1', 'log_analytics', 'on_demand', 'portal']\n"
    ]
    everything = printed("01-quickstart", tag=None)
    assert (
        "no credentials in the environment: the tenant fetch is skipped, using the samples\n"
        in (everything)
    )
    events = pd.read_parquet(ROOT / "report" / "notebooks" / "01-quickstart" / "events")
    assert len(events) == 2033


def test_failure_investigation_finds_the_duplicates_and_one_user():
    assert printed("02-failure-investigation") == [
        "DuplicateTargetEntries: 35 events, 19 identities (status: both)\n"
        "19 identities (11 distinct UPNs), failing steps: ['EntryImport', "
        "'EntrySynchronizationAdd']\n",
        "hanako.sato@corp.contoso.com: 14 events, 53 steps, 62 attribute changes\n",
    ]
    # the notebook's identities are failure_summary's
    summary = pv.analysis.failure_summary(pv.load(ROOT / "data" / "samples"), by=["error_code"])
    row = summary[summary["error_code"] == "DuplicateTargetEntries"]
    assert row[["events", "identities"]].to_numpy().tolist() == [[35, 19]]
    report = ROOT / "report" / "notebooks" / "02-failure-investigation"
    assert len(pd.read_parquet(report / "events.parquet")) == 35


def test_conflicts_counts_each_kind_and_the_entry_conflict_family():
    assert printed("03-conflicts") == [
        "{'duplicateTargetEntries': 35, 'entryConflict': 58}\n",
        "{'EntryConflict': 44, 'SalesforceEntryConflict': 14}\n",
    ]


def test_on_demand_drilldown_marks_the_failing_export():
    verdicts, failing = printed("04-on-demand-drilldown")
    assert verdicts.splitlines() == [
        "failure-scim-bad-response: Failure · SystemForCrossDomainIdentityManagementBadResponse "
        "· Message: The SCIM ",
        "group-success: Success",
        "skipped-redundant-export: Skipped · RedundantExport · The state of the entry in both "
        "the source and target",
        "success-update: Success",
    ]
    assert failing == "[{'step_index': 3, 'name': 'EntryExportUpdate', 'step_type': 'export'}]\n"
    assert "no credentials or ids: the live on-demand call is skipped\n" in printed(
        "04-on-demand-drilldown", tag=None
    )


def test_job_health_finds_the_quarantined_scim_job():
    assert printed("05-job-health") == [
        f"[{{'job_id': '{SCIM_JOB}', 'quarantine_reason': 'EncounteredQuarantineException'}}]\n"
        "{'failureRateSpike': 8, 'quarantined': 1}\n"
    ]


@pytest.mark.parametrize("name", ["02-failure-investigation", "05-job-health"])
def test_notebooks_show_live_widgets_with_static_fallbacks(name):
    bundles = [
        output["data"]
        for cell in run(name).cells
        for output in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert bundles
    assert all("text/html" in data and "pv-widget" in data["text/html"] for data in bundles)


@pytest.mark.parametrize(
    ("name", "charts"),
    [("01-quickstart", 3), ("02-failure-investigation", 2), ("05-job-health", 2)],
)
def test_every_chart_cell_shows_its_chart_once_as_png(name, charts):
    chart_cells = [
        cell for cell in run(name).cells if cell.cell_type == "code" and "pv.plots." in cell.source
    ]
    assert len(chart_cells) == charts
    for cell in chart_cells:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, cell.source
        assert images[0]["data"]["image/png"]
