"""The store's commands: `load` (saved provisioning data into the store), `demo` (the
bundled samples through the whole way: store, failure summary, report) and `retention` (how
long the store keeps what later loads replaced).

Registered on the main group in `provlytics.cli`; the pipeline, the store and the report are
imported when a command runs, so that `provlytics load --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from provlytics.cli.defaults import LOCK_TIMEOUT
from provlytics.cli.paths import dataset_folder, existing_or_glob, new_dataset_folder

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
_lock_timeout = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=LOCK_TIMEOUT,
    show_default=True,
    help="Seconds to wait while another process writes the store.",
)


@click.command("load")
@click.argument("paths", nargs=-1, required=True, callback=existing_or_glob)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    callback=dataset_folder,
    help="Dataset folder to write or merge into.",
)
@click.option(
    "--collect-errors",
    is_flag=True,
    help="Set bad records and unreadable files aside instead of stopping.",
)
@_lock_timeout
def load_command(paths: list[str], out: Path, collect_errors: bool, lock_timeout: float) -> None:
    """Load saved provisioning data (any dialect) into the store (Delta tables).

    PATHS are files, folders, .zip archives or quoted patterns ("exports/*.json").
    """
    from provlytics.pipeline.worker_start import without_pandas

    without_pandas()  # a load needs no pandas: ~45 MB less in this process (as in workers)
    from provlytics.loader import load_to_parquet

    on_error = "collect" if collect_errors else "raise"
    manifest = load_to_parquet(paths, out, on_error=on_error, lock_timeout=lock_timeout)
    _echo_manifest(manifest, out)


def _earlier_demo(ctx: click.Context, out: Path) -> bool:
    """Whether the dataset in `out` was loaded from these very samples (the manifest names
    the same sources): running the demo again replaces its events with the same ones."""
    from provlytics.manifest_sources import relative_sources
    from provlytics.parquet import read_manifest
    from provlytics.sources.files import file_tasks

    samples = ctx.params.get("samples", SAMPLES)
    named = relative_sources([str(task.file.path) for task in file_tasks([samples])])
    return read_manifest(out).get("sources") == named


@click.command("demo")
@click.option(
    "--samples",
    type=click.Path(exists=True, path_type=Path),
    default=SAMPLES,
    show_default=True,
    help="Sample data to load.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("report"),
    show_default=True,
    callback=new_dataset_folder(
        "the demo would merge the fictional samples into it", unless=_earlier_demo
    ),
    help="Dataset folder to write (new, or without a dataset in it).",
)
@click.option("--top", default=10, show_default=True, help="Rows of the failure summary.")
def demo_command(samples: Path, out: Path, top: int) -> None:
    """Load the bundled samples, print a failure summary, write the report."""
    from provlytics import analysis
    from provlytics.datasets import read_parquet
    from provlytics.loader import load_to_parquet
    from provlytics.parquet import MANIFEST
    from provlytics.report import write_report
    from provlytics.sources.reading import display_path

    if (out / MANIFEST).is_file():  # only an earlier demo of these samples gets here
        click.echo(
            f"{display_path(out)} holds this demo already: its events are replaced by the "
            "same ones (a folder holding other data is refused)"
        )
    manifest = load_to_parquet([samples], out)
    _echo_manifest(manifest, out)
    frames = read_parquet(out)
    columns = ["error_code", "target_system_name", "action"]
    summary = analysis.failure_summary(frames, by=columns, status="failure")
    warnings = int((frames.errors["status"] == "warning").sum())
    click.echo(
        f"\nTop failures ({int(summary['events'].sum())} failed events; "
        f"{warnings} warned events not counted):"
    )
    click.echo(summary[[*columns, "events", "identities"]].head(top).to_string(index=False))
    path = write_report(frames, out, parquet=False, scope=[f"Inputs: {samples.name}."])
    click.echo(f"\nReport: {path}")


def _days(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """DAYS: a number of days from 0 to 36500 (a usage error naming the value otherwise)."""
    if value is None:
        return None
    if value.startswith("--"):  # unknown options reach DAYS, so that "-1" is a value
        raise click.NoSuchOption(value, ctx=ctx)
    try:
        days = float(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a number of days (such as 30, or 0.5 for 12 hours)", ctx, param
        ) from None
    if not 0 <= days < 36500:  # NaN too
        raise click.BadParameter(f"{value}: give a number of days from 0 to 36500", ctx, param)
    return days


@click.command("retention", context_settings={"ignore_unknown_options": True})
@click.argument("store", type=click.Path(path_type=Path))
@click.argument("days", required=False, callback=_days)
@_lock_timeout
def retention_command(store: Path, days: float | None, lock_timeout: float) -> None:
    """Show or set how long the store keeps what later loads replaced.

    Time travel (pv.read_parquet(STORE, version=N)) reaches every load within it; each load
    deletes older replaced files. DAYS (0.5: 12 hours; 0: only the latest load and the one
    before it) is set on every table of STORE (Delta's delta.deletedFileRetentionDuration,
    which other engines' VACUUM follows); without DAYS, the current one is shown.
    """
    from provlytics.sources.reading import display_path
    from provlytics.store import read_retention, set_retention
    from provlytics.store.history import describe

    if days is not None:
        set_retention(store, days, lock_timeout=lock_timeout)
    kept = describe(read_retention(store))
    click.echo(
        f"{display_path(store)} {'now keeps' if days is not None else 'keeps'} what later "
        f"loads replaced for {kept}: time travel reaches that far back, and always to the "
        "load before the latest"
    )


def _echo_manifest(manifest: dict, out: Path) -> None:
    """What the load did, then what the folder holds: "Loaded into DIR: events +N (M
    replaced), ..." from the manifest's `last_load` (a store's; "+N": rows this load wrote,
    "M replaced": rows already stored that they replaced), else, for a plain dataset merged
    into, its totals; then "Read R records; the folder now holds E distinct events, from
    ... to ..."."""
    from provlytics.sources.reading import display_path

    span = manifest["time_range"]
    read, events = manifest["records_read"], manifest["row_counts"].get("events", 0)
    held = f"{events} distinct events, from {span['start']} to {span['end']}"
    if changes := manifest.get("last_load"):
        done = ", ".join(
            f"{name} +{c['written']}" + (f" ({c['replaced']} replaced)" if c["replaced"] else "")
            for name, c in changes.items()
        )
        click.echo(f"Loaded into {display_path(out)}: {done}")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in manifest["row_counts"].items())
        click.echo(f"Merged into {display_path(out)}, a plain Parquet dataset, now: {counts}")
    held = held if events else "no event"
    click.echo(f"Read {read} {'record' if read == 1 else 'records'}; the folder now holds {held}")
    if rejected := manifest.get("records_rejected"):
        what = "record or file" if rejected == 1 else "records or files"
        click.echo(f"{rejected} {what} rejected (see the log above)")
