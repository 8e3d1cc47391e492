"""The `on-demand` command: provision now, and show each subject's steps as the portal does.

Entra's "Provision on demand" pane lists the steps of the attempt (import, scope, match, action)
with the one that failed and its error; this command prints the same from the returned event:
one line per step, the failing (or skipping) step's reason below it. Without `--rule`, the
job's only synchronization rule is used (and named). Registered on the main group in
`provlytics.cli`; credentials as in `provlytics.cli.graph`; pandas and the library are imported
when the command runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from provlytics.cli.graph import client_from_options, graph_hint, graph_options
from provlytics.errors import ConfigError, GraphError, ProvlyticsError

if TYPE_CHECKING:
    import pandas as pd

    from provlytics.graph.client import GraphClient
    from provlytics.operations import OnDemandBatch
    from provlytics.pipeline.on_demand import OnDemandResult

logger = logging.getLogger(__name__)

# The portal's wording of each step type (its "Provision on demand" pane)
STEP_LABELS = {
    "import": "Import",
    "scoping": "Determine if in scope",
    "matching": "Match source and target",
    "processing": "Determine action",
    "referenceResolution": "Resolve references",
    "export": "Perform action",
}
_COLORS = {"success": "green", "skipped": "yellow", "failure": "red", "warning": "yellow"}
_QUIET_DETAILS = frozenset({"ReportableIdentifier"})  # already in the step's description


@click.command("on-demand")
@click.argument("service_principal_id")
@click.argument("job_id")
@click.option(
    "--rule",
    "rule_id",
    help="Synchronization rule id (`provlytics rules SP_ID JOB_ID`); default: the job's only rule.",
)
@click.option("--user", "users", multiple=True, metavar="OBJECT_ID", help="User (repeatable).")
@click.option("--group", "group_id", metavar="GROUP_ID", help="One group to provision.")
@click.option("--member", "members", multiple=True, metavar="ID", help="Group member (max 5).")
@click.option(
    "--save",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the returned events as a Parquet dataset into this folder.",
)
@graph_options
def on_demand_command(
    service_principal_id: str,
    job_id: str,
    rule_id: str | None,
    users: tuple[str, ...],
    group_id: str | None,
    members: tuple[str, ...],
    save: Path | None,
    **settings: Any,
) -> None:
    """Provision users (or a group and members) now; show each one's steps.

    Exits with status 1 when any subject failed.
    """
    subjects = _cli_subjects(users, group_id, members)
    try:
        with client_from_options(settings) as client:  # credentials first: said at once
            from provlytics.operations import provision_on_demand_batch

            rule_id = rule_id or _the_only_rule(client, service_principal_id, job_id)
            batch = provision_on_demand_batch(
                client, service_principal_id, job_id, rule_id, subjects
            )
        if save is not None:
            batch.frames.to_parquet(save)
    except (ProvlyticsError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_batch(batch, subjects)
    if save is not None:
        click.echo(f"Wrote {save}")
    if not batch.ok:
        raise click.exceptions.Exit(1)


def _the_only_rule(client: GraphClient, sp_id: str, job_id: str) -> str:
    """The job's rule id, said aloud; several rules are a usage error (pick one)."""
    from provlytics.operations import only_rule

    try:
        rule = only_rule(client, sp_id, job_id)
    except ConfigError as exc:
        if "choose one" in str(exc):
            raise click.UsageError(f"{exc}; pass it as --rule") from exc
        raise
    except GraphError as exc:
        reason = graph_hint(exc, sp_id)
        raise click.ClickException(f"cannot read the rules of job {job_id}: {reason}") from exc
    click.echo(f"Using rule {rule['id']} ({rule['name']}), the job's only synchronization rule.")
    return str(rule["id"])


def _cli_subjects(
    users: tuple[str, ...], group_id: str | None, members: tuple[str, ...]
) -> list[str | dict[str, Any]]:
    if members and not group_id:
        raise click.UsageError("--member needs --group")
    if not users and not group_id:
        raise click.UsageError("give at least one --user or a --group")
    subjects: list[str | dict[str, Any]] = list(users)
    if group_id:
        group: dict[str, Any] = {"objectId": group_id, "objectTypeName": "Group"}
        if members:
            group["links"] = {
                "members": [{"objectId": m, "objectTypeName": "User"} for m in members]
            }
        subjects.append(group)
    return subjects


def _echo_batch(batch: OnDemandBatch, subjects: list[str | dict[str, Any]]) -> None:
    failures = {f.object_id: f for f in batch.failures}
    for subject in subjects:
        object_id = subject if isinstance(subject, str) else subject["objectId"]
        result = batch.results.get(object_id)
        if result is None:
            line = f"{object_id}: ERROR {failures[object_id].reason}"
            click.echo(click.style(line, fg="red"))
            continue
        for line in result_lines(object_id, result):
            click.echo(line)


def result_lines(object_id: str, result: OnDemandResult) -> list[str]:
    """The verdict of one subject, then its steps, the failing one with its reason."""
    verdict = click.style(result.result, fg=_COLORS.get(result.result.lower()))
    message = (result.message or "").splitlines()
    detail = " ".join(x for x in (result.error_code, message[0] if message else None) if x)
    lines = [f"{object_id}: {verdict}" + (f" {detail}" if detail else "")]
    steps = result.frames.steps.sort_values(["event_id", "step_index"], ignore_index=True)
    if steps.empty:
        return [*lines, "  no steps returned (the response held no event)"]
    culprit = _culprit(steps)
    for number, step in enumerate(steps.itertuples(index=False), start=1):
        lines.append(_step_line(number, step))
        if number - 1 == culprit:
            lines += _reason_lines(step, result)
    return lines


def _culprit(steps: pd.DataFrame) -> int | None:
    """The position of the step to explain: the first failure, else the last skip or warning."""
    status = steps["status"].fillna("")
    for wanted in (("failure",), ("skipped", "warning")):
        hits = [i for i, s in enumerate(status) if s in wanted]
        if hits:
            return hits[0] if wanted == ("failure",) else hits[-1]
    return None


def _step_line(number: int, step: Any) -> str:
    label = STEP_LABELS.get(_text(step.step_type) or "", _text(step.step_type) or "step")
    status = _text(step.status) or "-"
    word = f"{status.upper() if status == 'failure' else status:<8}"
    shown = click.style(word, fg=_COLORS.get(status), bold=True)
    return f"  {number}. {label:<24} {shown} {_text(step.description) or ''}".rstrip()


def _reason_lines(step: Any, result: OnDemandResult) -> list[str]:
    """Why the step failed or skipped: the verdict's code and message, and the step's details."""
    lines = []
    if result.error_code or result.message:
        text = (result.message or "").splitlines() or [""]
        head = f"{result.error_code}: {text[0]}" if result.error_code else text[0]
        lines += [click.style(f"       {head}".rstrip(), fg="red")]
        lines += [f"       {more}" for more in text[1:] if more.strip()]
    for key, value in _details(step.details).items():
        lines.append(f"       {key}: {value}")
    return lines


def _details(text: Any) -> dict[str, str]:
    """A step's details bag, without what the step's description already says."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        bag = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(bag, dict):
        return {}
    return {
        str(k): str(v) for k, v in bag.items() if k not in _QUIET_DETAILS and v not in ("", None)
    }


def _text(value: Any) -> str | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else str(value)
