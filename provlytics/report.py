"""The shareable report: Parquet tables, summary tables (CSV) and one self-contained HTML page.

    import provlytics as pv
    frames = pv.analysis.filter_frames(pv.load("exports/"), since="7d")
    path = pv.report.write_report(frames, "report/")      # report/report.html

Every figure and table comes from a `provlytics.analysis` helper (this module only lays them
out); the charts are `provlytics.plots`. The page needs no network and no JavaScript.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from provlytics import analysis, plots
from provlytics import report_columns as c
from provlytics import report_html as h
from provlytics.analysis.alert_scope import narrowed_span
from provlytics.analysis.health_shown import SHOWN_COLUMNS, escrow_note, health_shown
from provlytics.dataset_files import is_dataset
from provlytics.errors import ConfigError, InputError
from provlytics.frames_arg import frames_of
from provlytics.owner_only import private_dirs, private_file
from provlytics.report_scope import narrowing_line
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

REPORT_FILE = "report.html"
SUMMARIES = "summaries"
DEFAULT_TITLE = "Provisioning report"
MAX_SOURCES = 20  # source files listed on the page; manifest.json keeps them all

Summaries = dict[str, pd.DataFrame]

# Columns shown on the page, the most telling first and long free text last (long ids and
# first_seen of the failure summary are left to the CSV files in summaries/).
SHOWN = {
    "failure_summary": [
        "status", "error_code", "error_category", "target_system_name", "action", "events",
        "identities", "share", "recommended_action", "last_seen", "example_reason",
    ],
    "conflicts": [
        "kind", "error_code", "target_system_name", "reportable_identifier", "source_name",
        "matching_attribute", "matching_value", "events", "first_seen", "last_seen",
    ],
    "cycles": [
        "job_id", "service_principal_name", "start", "end", "duration_s", "events", "identities",
        "success", "failure", "warning", "skipped", "failure_rate",
    ],
    "retry_storms": [
        "reportable_identifier", "target_system_name", "error_code", "cycles", "events",
        "first_seen", "last_seen", c.STORM_FAILING,
    ],
    "recovery": [
        "reportable_identifier", "target_system_name", "error_code", "first_failure",
        "failures", "recovered_at", "time_to_recovery", c.LATEST_FAILED,
    ],
    "job_health": list(SHOWN_COLUMNS),
    "alerts": [
        "kind", "job_id", "value", "threshold", "window_start", "window_end", "message",
    ],
    "slowest": [
        "activity_time", "duration_ms", "action", "status", "error_code",
        "reportable_identifier", "target_system_name",
    ],
}  # fmt: skip


def write_report(
    frames: ProvisioningFrames | str | os.PathLike[str],
    out_dir: str | Path,
    *,
    title: str = DEFAULT_TITLE,
    scope: Sequence[str] = (),
    parquet: bool = True,
    now: datetime | None = None,
) -> Path:
    """Write the Parquet tables, `summaries/*.csv` and `report.html` into `out_dir`.

    Args:
        frames: The tables to report on (already narrowed, e.g. by `analysis.filter_frames`),
            or the path of a store/snapshot folder (read whole with `pv.read_parquet`). The
            steps they were narrowed by (`frames.narrowed`) are shown under the title, after
            `scope` ("Narrowed to since 7d (2026-11-15 23:51 UTC), job j1."), and kept in
            `manifest.json` (`narrowed`) with the tables.
        out_dir: Folder to write into (created when missing). With `parquet`, it must not
            hold a dataset already (its tables would merge with these).
        title: Heading of the page.
        scope: Lines of your own shown under the title (e.g. "Inputs: exports.").
        parquet: Also write the tables as a Parquet dataset (`frames.to_parquet(out_dir)`);
            False writes only the page and the summaries (allowed beside a dataset).
        now: Time printed as "generated at" (default: the current time, UTC).

    Returns:
        The path of `report.html`.

    Raises:
        InputError: `out_dir` exists and is not a folder; `frames` is a path that is not a
            dataset folder.
        ConfigError: `parquet` and `out_dir` already holds a dataset (a store or snapshot);
            `frames` is neither frames nor a path.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "the report folder is a file")
    if parquet:
        _refuse_dataset(out)
    frames = frames_of(frames, who="write_report")
    summaries = compute_summaries(frames)  # everything that can fail before anything is written
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    page = render_report(frames, summaries, title=title, scope=scope, now=generated)
    private_dirs(out)  # the report holds names and UPNs: owner-only, like the datasets
    if parquet:
        frames.to_parquet(out)
    write_summaries(summaries, out / SUMMARIES)
    path = out / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    private_file(path)
    logger.info("wrote %s", path)
    return path


def _refuse_dataset(out: Path) -> None:
    """A ConfigError if `out` holds a provlytics dataset (its manifest.json or a store's
    Delta tables): the report's tables would merge into it while report.html describes only
    the frames given (the `report` command refuses the same folder)."""
    if is_dataset(out):
        raise ConfigError(
            f"{out} already holds a provlytics dataset: the report's tables would merge into "
            "it while report.html describes only these frames; choose a new folder (or pass "
            "parquet=False to write only the page and summaries beside it)"
        )


def compute_summaries(frames: ProvisioningFrames) -> Summaries:
    """Every table the report shows, by file name (without extension), from the helpers."""
    freq = timeline_freq(frames)
    return {
        "failure_summary": analysis.failure_summary(frames, status="both"),
        "top_error_codes": analysis.failure_summary(frames, by=("error_code",)),
        "failed_steps": analysis.failed_steps(frames),
        "activity_by_app": analysis.activity_by_app(frames),
        "objects_by_type": analysis.objects_by_type(frames),
        "timeline": analysis.timeline(frames, freq=freq),
        "success_rate": analysis.success_rate(frames, freq=freq),
        "step_funnel": analysis.step_funnel(frames, by=None),
        "skip_reasons": analysis.skip_reasons(frames),
        "conflicts": analysis.conflicts(frames),
        "cycles": analysis.cycles(frames),
        "retry_storms": analysis.retry_storms(frames),
        "recovery": analysis.recovery(frames),
        "job_health": analysis.job_health(frames),
        "alerts": analysis.alerts(frames),
        "slowest": analysis.slowest(frames, n=20),
    }


def write_summaries(summaries: Summaries, folder: Path) -> list[Path]:
    """One CSV per summary table (UTF-8, ISO times), returned in the order written."""
    private_dirs(folder)
    paths = []
    for name, df in summaries.items():
        path = folder / f"{name}.csv"
        df.to_csv(path, index=False, encoding="utf-8", date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        private_file(path)
        paths.append(path)
    return paths


def timeline_freq(frames: ProvisioningFrames) -> str:
    """Bin width for the time charts: 1h up to 3 days of events, 6h up to 3 weeks, then 1D."""
    times = frames.events["activity_time"].dropna()
    span = times.max() - times.min() if len(times) else pd.Timedelta(0)
    if span <= pd.Timedelta(days=3):
        return "1h"
    return "6h" if span <= pd.Timedelta(days=21) else "1D"


def render_report(
    frames: ProvisioningFrames,
    summaries: Summaries,
    *,
    title: str = DEFAULT_TITLE,
    scope: Sequence[str] = (),
    now: datetime,
) -> str:
    """The HTML page of the report (a string), sections in reading order; under the title,
    the time generated, the `scope` lines, how `frames` were narrowed (`frames.narrowed`)
    and whether they are pseudonymized."""
    subtitle = [f"Generated {now:%Y-%m-%d %H:%M} UTC by provlytics {version('provlytics')}."]
    subtitle += list(scope)
    narrowed = narrowing_line(frames.narrowed)
    if narrowed:
        subtitle.append(narrowed)
    if frames.pseudonymized:
        subtitle.append("Personal values are pseudonymized: keyed HMAC-SHA256 tokens (anon-…).")
    sections = [build(frames, summaries) for build in SECTION_BUILDERS]
    return h.page(title, subtitle, sections)


def _overview(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    events = frames.events
    counts = events["status"].value_counts()
    times = events["activity_time"].dropna()
    section = h.Section("overview", "Overview")
    section.add(h.cards(_overview_cards(len(events), counts, s["objects_by_type"], times)))
    section.add(h.heading("Sources"))
    sources = shown_sources(frames.sources)
    section.add(h.bullet_list(sources) if sources else h.paragraph("Not recorded."))
    section.add(h.heading("Objects by identity type"))
    section.add(_table(s, "objects_by_type"))
    section.add(h.heading("Activity by app and action"))
    return section.add(_table(s, "activity_by_app"))


def _overview_cards(
    total: int, counts: pd.Series, objects: pd.DataFrame, times: pd.Series
) -> list[h.Card]:
    def count(status: str) -> str:
        return f"{int(counts.get(status, 0)):,}"

    return [
        h.Card("Events", f"{total:,}"),
        h.Card("Failures", count("failure"), "bad"),
        h.Card("Warnings", count("warning"), "warn"),
        h.Card("Skipped", count("skipped")),
        h.Card("Succeeded", count("success"), "ok"),
        h.Card("Identities", f"{int(objects['objects'].sum()):,}"),
        h.Card("First event", f"{times.min():%Y-%m-%d %H:%M} UTC" if len(times) else "none"),
        h.Card("Last event", f"{times.max():%Y-%m-%d %H:%M} UTC" if len(times) else "none"),
    ]


def shown_sources(sources: Sequence[str], *, limit: int = MAX_SOURCES) -> list[str]:
    """The first `limit` of `display_sources`, then "and N more (manifest.json lists them
    all)" when there are more."""
    shown = display_sources(sources)
    if len(shown) <= limit:
        return shown
    more = len(shown) - limit
    return [*shown[:limit], f"and {more:,} more (manifest.json lists them all)"]


def display_sources(sources: Sequence[str]) -> list[str]:
    """Sources as shown: file paths relative to the folder above their common folder (so a
    shared report names `samples/graph-v1/page.json`, not the home folder); URLs as they are."""
    if not sources or any("://" in s for s in sources):
        return list(sources)
    paths = [Path(s) for s in sources]
    try:
        common = Path(os.path.commonpath(paths))
    except ValueError:  # absolute and relative paths mixed
        return [p.name for p in paths]
    base = common.parent if len(paths) > 1 or common != paths[0] else paths[0].parent
    return [p.relative_to(base).as_posix() for p in paths]


def _top_errors(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("top-errors", "Top errors")
    section.add(h.figure(plots.top_errors(s["top_error_codes"]), "Failed events by error code"))
    section.add(h.heading("Failures and warnings by code, category, target system and action"))
    section.add(_table(s, "failure_summary"))
    section.add(h.heading("Which step fails, per code"))
    return section.add(_table(s, "failed_steps"))


def _timeline(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("timeline", "Timeline")
    caption = f"Failed events per {timeline_freq(frames)} bin, by error code (UTC)"
    section.add(h.figure(plots.failures_over_time(s["timeline"]), caption))
    caption = "Success rate: success / (success + failure + warning), skips apart"
    return section.add(h.figure(plots.success_rate(s["success_rate"]), caption))


def _step_funnel(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("step-funnel", "Step funnel")
    section.add(h.figure(plots.step_funnel(s["step_funnel"]), "Steps by type and outcome"))
    section.add(_table(s, "step_funnel"))
    section.add(h.heading("Skip reasons"))
    return section.add(_table(s, "skip_reasons"))


def _conflicts(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("conflicts", "Conflicts and duplicate matches")
    empty = "No conflict or duplicate-match case."
    return section.add(_table(s, "conflicts", empty=empty))


def _cycles(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("cycles", "Cycles")
    caption = "Failure rate of each cycle (failed / events not skipped), per job"
    section.add(h.figure(plots.cycle_failure_rate(s["cycles"]), caption))
    section.add(h.heading("Cycles with the most failures"))
    worst = s["cycles"].sort_values(["failure", "start"], ascending=[False, True], kind="stable")
    return section.add(_table(s, "cycles", rows=worst, empty="No cycle."))


def _retries(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("retry-storms", "Retry storms and recovery")
    section.add(h.heading("The same object failing with the same code across cycles"))
    section.add(
        h.paragraph(
            "still failing with this code: the object's latest event in the job failed with "
            "the storm's code (still_failing in the CSV file)."
        )
    )
    empty = "No object failed with the same code in several cycles."
    storms = c.storms_shown(s["retry_storms"])
    section.add(_table(s, "retry_storms", rows=storms, empty=empty))
    section.add(h.heading("Recovery of objects that failed"))
    section.add(h.figure(plots.recovery_times(s["recovery"]), "Time from first failure to success"))
    section.add(
        h.paragraph(
            "latest event failed: the object's latest event in the job failed, with any code; "
            "it may have recovered in between (still_failing in the CSV file)."
        )
    )
    rows = c.recovery_shown(s["recovery"])
    return section.add(_table(s, "recovery", rows=rows, empty="No object failed."))


def _job_health(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("job-health", "Job health")
    section.add(h.paragraph(escrow_note("the CSV file")))
    health = health_shown(s["job_health"])
    return section.add(_table(s, "job_health", rows=health, empty="No job."))


def _alerts(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("alerts", "Alerts")
    start, end = narrowed_span(frames)
    if start is not None or end is not None:
        bounds = [f"from {start:%Y-%m-%d %H:%M} UTC" if start is not None else ""]
        bounds.append(f"until {end:%Y-%m-%d %H:%M} UTC" if end is not None else "")
        section.add(
            h.paragraph(
                f"Windows are cut to the time this report was narrowed to "
                f"({' '.join(b for b in bounds if b)}); a cut window says so at the end of "
                f"its message ({_csv('alerts')}). A job's silence (silentJob) is judged only "
                "when its whole window lies inside that time."
            )
        )
    section.add(
        h.paragraph(
            "Grouped by kind (quarantined, silentJob, failureRateSpike, disableDeleteSpike), "
            "newest window first; value and threshold in the kind's unit."
        )
    )
    rows = c.alerts_shown(s["alerts"])
    return section.add(_table(s, "alerts", rows=rows, empty="No alert."))


def _durations(frames: ProvisioningFrames, s: Summaries) -> h.Section:
    section = h.Section("durations", "Durations")
    section.add(h.figure(plots.durations(frames), "Event durations (ms)"))
    section.add(h.heading("Slowest events"))
    return section.add(_table(s, "slowest", max_rows=10))


def _table(
    s: Summaries,
    name: str,
    *,
    rows: pd.DataFrame | None = None,
    max_rows: int = h.MAX_ROWS,
    empty: str = "None found.",
) -> str:
    """Summary `name` (or `rows` of it) as a table of its SHOWN columns, pointing at its CSV."""
    df = s[name] if rows is None else rows
    columns = SHOWN.get(name)
    return h.table(df, columns=columns, max_rows=max_rows, full_table=_csv(name), empty=empty)


def _csv(name: str) -> str:
    return f"{SUMMARIES}/{name}.csv"


SECTION_BUILDERS: tuple[Callable[[ProvisioningFrames, Summaries], h.Section], ...] = (
    _overview,
    _top_errors,
    _timeline,
    _step_funnel,
    _conflicts,
    _cycles,
    _retries,
    _job_health,
    _alerts,
    _durations,
)
SECTION_IDS = (
    "overview",
    "top-errors",
    "timeline",
    "step-funnel",
    "conflicts",
    "cycles",
    "retry-storms",
    "job-health",
    "alerts",
    "durations",
)
