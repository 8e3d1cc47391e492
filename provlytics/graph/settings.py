"""The environment variables a Graph credential is read from, with the CLI option of each,
which of them make a credential, and the message when none does.

Imports nothing, so that the command line can list its options (`--help`) and say that
credentials are missing without importing msal and requests (`provlytics.graph.auth` builds
the credential).
"""

from __future__ import annotations

from collections.abc import Mapping

# (environment variable, CLI option, what it holds): the one list the CLI and the messages use.
ENV_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("PROVLYTICS_TOKEN", "--token", "a bearer token, e.g. copied from Graph Explorer"),
    ("AZURE_TENANT_ID", "--tenant-id", "the directory (tenant) id"),
    ("AZURE_CLIENT_ID", "--client-id", "the application (client) id"),
    ("AZURE_CLIENT_SECRET", "--client-secret", "a client secret of that application"),
    (
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "--certificate-path",
        "a PEM file with the certificate and its private key",
    ),
    ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "--certificate-password", "the PEM's passphrase"),
    ("AZURE_AUTHORITY_HOST", "--authority-host", "the login host (national clouds)"),
    ("PROVLYTICS_TOKEN_CACHE", "--token-cache", "a file for msal's token cache"),
)


def credential_source(env: Mapping[str, str]) -> str | None:
    """Which credential `env` supplies, in the order `auth.credential_from_env` takes them:
    "token" (PROVLYTICS_TOKEN), "secret" (AZURE_TENANT_ID + AZURE_CLIENT_ID +
    AZURE_CLIENT_SECRET), "certificate" (... + AZURE_CLIENT_CERTIFICATE_PATH), else None."""
    if env.get("PROVLYTICS_TOKEN"):
        return "token"
    if not (env.get("AZURE_TENANT_ID") and env.get("AZURE_CLIENT_ID")):
        return None
    if env.get("AZURE_CLIENT_SECRET"):
        return "secret"
    return "certificate" if env.get("AZURE_CLIENT_CERTIFICATE_PATH") else None


def missing_credentials_message(env: Mapping[str, str], *, command_line: bool = False) -> str:
    """Explain which setting is missing and every way to supply the Graph credentials: in
    Python, `credential=` first and the command-line options last; for the `provlytics`
    commands (`command_line`), their options first, each missing setting named by its option
    and variable, and no Python way (there is none on a command line)."""
    what = "none is set"
    if env.get("AZURE_TENANT_ID") or env.get("AZURE_CLIENT_ID"):
        missing = [name for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID") if not env.get(name)]
        names = missing or ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH"]
        joiner = ", " if missing else " or "
        shown = [f"{_OPTIONS[name]} / {name}" for name in names] if command_line else names
        what = joiner.join(shown)
    python = (
        "pass credential= to GraphClient: StaticToken(token), ClientSecret(tenant_id, "
        "client_id, client_secret), Certificate(tenant_id, client_id, certificate_path=...) "
        "or DeviceCode(tenant_id, client_id)"
    )
    environment = [
        "set PROVLYTICS_TOKEN to a bearer token (e.g. copied from Graph Explorer)",
        "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or AZURE_TENANT_ID, "
        "AZURE_CLIENT_ID and AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD)",
    ]
    options = "--token, or --tenant-id, --client-id and --client-secret (or --certificate-path)"
    if command_line:
        ways = [f"give {options}", *environment]
    else:
        ways = [python, *environment, f"on the command line: {options}"]
    lines = [
        f"Microsoft Graph credentials are missing ({what}). Supply them in one of these ways:",
        *(f"  - {way}{';' if i < len(ways) - 1 else '.'}" for i, way in enumerate(ways)),
    ]
    return "\n".join(lines)


_OPTIONS = {name: flag for name, flag, _what in ENV_SETTINGS}  # variable -> its CLI option
