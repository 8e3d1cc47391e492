"""The environment variables a Graph credential is read from, with the CLI option of each.

A module of plain data, so that the command line can list its options (`--help`) without
importing msal and requests (`provlytics.graph.auth` reads the variables).
"""

from __future__ import annotations

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
