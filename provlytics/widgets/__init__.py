"""Investigation widgets for notebooks: controls in, `pv.analysis` answers and `pv.plots` out.

import provlytics as pv
bar = pv.widgets.FilterBar(frames)
pv.widgets.ErrorExplorer(frames, filters=bar)

Each widget exposes `.controls` (name -> ipywidget), `.result` (a DataFrame recomputed when a
control changes) and displays itself live in Jupyter, or as static HTML/text elsewhere. The
frames may be given as the path of a store/snapshot folder (read with `pv.read_parquet`).
"""

from provlytics.widgets.base import InvestigationWidget
from provlytics.widgets.conflicts import ConflictExplorer
from provlytics.widgets.explorer import ErrorExplorer
from provlytics.widgets.filters import FilterBar
from provlytics.widgets.identity import IdentityInspector
from provlytics.widgets.jobs import JobHealthPanel
from provlytics.widgets.on_demand import OnDemandViewer

__all__ = [
    "ConflictExplorer",
    "ErrorExplorer",
    "FilterBar",
    "IdentityInspector",
    "InvestigationWidget",
    "JobHealthPanel",
    "OnDemandViewer",
]
