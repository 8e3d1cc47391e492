"""pv.widgets: set control values in code, assert the recomputed `.result` (no browser)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import provlytics as pv
from provlytics.operations import OnDemandResult
from provlytics.widgets import (
    ConflictExplorer,
    ErrorExplorer,
    FilterBar,
    IdentityInspector,
    JobHealthPanel,
    OnDemandViewer,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
ON_DEMAND = SAMPLES / "on-demand"


@pytest.fixture(scope="module")
def frames() -> pv.ProvisioningFrames:
    return pv.load(SAMPLES, progress=False)


# --- OnDemandViewer ---------------------------------------------------------------------


def test_on_demand_viewer_marks_the_failing_export_step():
    viewer = OnDemandViewer(pv.read_on_demand(ON_DEMAND / "failure-scim-bad-response.json"))
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
    frames = pv.read_on_demand(ON_DEMAND / "group-success.json")
    viewer = OnDemandViewer(OnDemandResult("Success", None, None, frames))
    assert viewer.panel.headline == "Success"
    assert viewer.result.empty
    assert list(viewer.result.columns) == [
        "step_index", "name", "step_type", "status", "description", "timestamp", "details",
        "failing",
    ]  # fmt: skip


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
