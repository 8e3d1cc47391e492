"""Graph options shared by the CLI commands that talk to a tenant.

The options listed in `provlytics.graph.settings.ENV_SETTINGS` (`--token`, `--tenant-id`, ...)
and `--graph-url`/`--graph-version` set the same environment variables for this run, and
`GraphClient.from_env()` does the rest: the CLI adds no logic of its own. The client (msal,
requests) is imported when a command builds it, not for `--help`, nor when no credential is
given (`client_from_options` says so first).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from provlytics.errors import ConfigError, GraphError
from provlytics.graph.settings import ENV_SETTINGS, credential_source, missing_credentials_message

if TYPE_CHECKING:
    from provlytics.graph.client import GraphClient

_GRAPH_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("PROVLYTICS_GRAPH_URL", "--graph-url", "the Graph service root (default graph.microsoft.com)"),
    ("PROVLYTICS_GRAPH_VERSION", "--graph-version", "the Graph API version: v1.0 or beta"),
)
_SETTINGS = tuple(ENV_SETTINGS) + _GRAPH_SETTINGS
FIND_SP_ID = (
    "the service principal id is the Object ID on the app's page under Enterprise applications "
    "in the Entra admin center (not its Application (client) ID), or: "
    'az ad sp list --display-name "<app name>" --query "[].id" -o tsv'
)


def _option_name(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def graph_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the credential and Graph options (ENV_SETTINGS and the Graph URL/version)."""
    for env_name, flag, text in reversed(_SETTINGS):
        command = click.option(
            flag,
            _option_name(flag),
            default=None,
            help=f"{text[0].upper()}{text[1:]} (or set {env_name}).",
        )(command)
    return command


def client_from_options(kwargs: dict[str, Any]) -> GraphClient:
    """Take the Graph options out of a command's keyword arguments and build the client.
    Missing credentials are said before msal and requests are imported (call this before
    importing the library parts the command uses, so that they are said at once).

    Raises:
        ConfigError: no credential: the message lists this command's options first.
    """
    env = dict(os.environ)
    for env_name, flag, _text in _SETTINGS:
        value = kwargs.pop(_option_name(flag), None)
        if value:
            env[env_name] = value
    if credential_source(env) is None:
        raise ConfigError(missing_credentials_message(env, command_line=True))
    from provlytics.graph.auth import credential_from_env
    from provlytics.graph.client import GraphClient

    credential = credential_from_env(env, command_line=True)
    return GraphClient.from_env(environ=env, credential=credential)


def graph_hint(exc: GraphError, sp_id: str) -> str:
    """Graph's error, with how to find the right id when the service principal is unknown
    (Graph answers 404, or 400 for an id that is not a GUID)."""
    if exc.status in (400, 404):
        return f"{exc}\n{sp_id!r} may not be a service principal id: {FIND_SP_ID}"
    return str(exc)
