"""Credentials: small objects with one method, `token(force_refresh=False) -> str`.

`StaticToken` wraps a token pasted from Graph Explorer. `ClientSecret`, `Certificate` and
`DeviceCode` go through msal, optionally with a token cache on disk that only the owner can read.
No token, secret or msal result dict ever reaches a log line, an exception or a `repr`.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import msal
import requests

from provlytics.errors import AuthError, ConfigError
from provlytics.graph.settings import ENV_SETTINGS as ENV_SETTINGS  # kept importable here
from provlytics.graph.settings import credential_source
from provlytics.graph.settings import missing_credentials_message as missing_credentials_message
from provlytics.graph.token_cache import TokenCacheFile
from provlytics.redact import install_log_redaction

# msal and urllib3 (under requests) are imported by now, and every path to a token, and to a
# request that carries one, imports this module: keep device codes and skiptokens out of
# their DEBUG logs from here on
install_log_redaction()

logger = logging.getLogger(__name__)

GRAPH_SCOPES: tuple[str, ...] = ("https://graph.microsoft.com/.default",)
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"


class Credential(Protocol):
    """Anything that hands out a bearer token for Microsoft Graph."""

    def token(self, force_refresh: bool = False) -> str:
        """Return a bearer token; with `force_refresh`, not the one handed out before."""
        ...


class StaticToken:
    """A bearer token obtained elsewhere (Graph Explorer, `az account get-access-token`)."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        text = (token or "").strip()
        scheme, _, rest = text.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else text
        if not token:
            raise ConfigError("StaticToken needs a non-empty token")
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(token=<hidden>)"

    def token(self, force_refresh: bool = False) -> str:
        """Return the token; a static token cannot be refreshed."""
        if force_refresh:
            raise AuthError(
                "static_token_rejected",
                "Graph rejected the static token (expired, or lacking AuditLog.Read.All). "
                "Copy a new one from Graph Explorer (Access token tab) into PROVLYTICS_TOKEN, "
                "or use ClientSecret, Certificate or DeviceCode, which refresh by themselves",
            )
        return self._token


class _MsalCredential(ABC):
    """Shared plumbing of the msal-backed credentials: app construction, cache, errors."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        cache_path: str | os.PathLike[str] | None = None,
        http_client: Any = None,
        scopes: Sequence[str] = GRAPH_SCOPES,
    ) -> None:
        if not tenant_id or not client_id:
            raise ConfigError(f"{type(self).__name__} needs a tenant id and a client id")
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.scopes = list(scopes)
        self._custom_host = authority_host.rstrip("/") != DEFAULT_AUTHORITY_HOST
        self._http_client = http_client
        self._cache = TokenCacheFile(cache_path)
        self._app: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    def token(self, force_refresh: bool = False) -> str:
        """Return an access token from the cache or msal; `force_refresh` skips the cache."""
        try:
            if self._app is None:
                self._app = self._build_app(self._app_options())
            result = self._acquire(self._app, force_refresh)
        except requests.RequestException as exc:
            reason = f"cannot reach {self.authority}: {type(exc).__name__}"
            raise AuthError("login_unreachable", reason) from exc
        self._cache.save()
        if not result or "access_token" not in result:
            raise AuthError.from_msal(result or {"error": "no_token"})
        logger.debug(
            "token acquired for client %s (force_refresh=%s)", self.client_id, force_refresh
        )
        return str(result["access_token"])

    def _app_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"authority": self.authority, "token_cache": self._cache.cache}
        if self._http_client is not None:
            options["http_client"] = self._http_client
        if self._custom_host:
            options["instance_discovery"] = False
        return options

    @abstractmethod
    def _build_app(self, options: dict[str, Any]) -> Any:
        """The msal application for this flow."""

    @abstractmethod
    def _acquire(self, app: Any, force_refresh: bool) -> dict[str, Any] | None:
        """msal's result dict (a token or an error)."""


class _ConfidentialCredential(_MsalCredential):
    """App-only (client credentials) flow, shared by secrets and certificates."""

    @abstractmethod
    def _client_credential(self) -> Any:
        """The `client_credential` msal takes: a secret or certificate data."""

    def _build_app(self, options: dict[str, Any]) -> Any:
        try:
            return msal.ConfidentialClientApplication(
                self.client_id, client_credential=self._client_credential(), **options
            )
        except ValueError as exc:
            raise AuthError("invalid_configuration", str(exc)) from None

    def _acquire(self, app: Any, force_refresh: bool) -> dict[str, Any] | None:
        if force_refresh:
            self._forget_access_tokens()
        return app.acquire_token_for_client(scopes=self.scopes)

    def _forget_access_tokens(self) -> None:
        """Drop this client's cached access tokens (msal's client flow has no force_refresh)."""
        cache = self._cache.cache
        kind = msal.TokenCache.CredentialType.ACCESS_TOKEN
        for entry in list(cache.search(kind, query={"client_id": self.client_id})):
            cache.remove_at(entry)


class ClientSecret(_ConfidentialCredential):
    """An app registration's client secret (app-only access).

    Example:
        >>> cred = ClientSecret("contoso.onmicrosoft.com", "00000000-...", "s3cr3t")
        >>> cred
        ClientSecret(tenant_id='contoso.onmicrosoft.com', client_id='00000000-...')
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        cache_path: str | os.PathLike[str] | None = None,
        http_client: Any = None,
        scopes: Sequence[str] = GRAPH_SCOPES,
    ) -> None:
        super().__init__(
            tenant_id,
            client_id,
            authority_host=authority_host,
            cache_path=cache_path,
            http_client=http_client,
            scopes=scopes,
        )
        if not client_secret:
            raise ConfigError("ClientSecret needs a non-empty client secret")
        self._secret = client_secret

    def _client_credential(self) -> Any:
        return self._secret


class Certificate(_ConfidentialCredential):
    """An app registration's certificate: a PEM file holding the certificate and private key."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        certificate_path: str | os.PathLike[str],
        thumbprint: str | None = None,
        passphrase: str | None = None,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        cache_path: str | os.PathLike[str] | None = None,
        http_client: Any = None,
        scopes: Sequence[str] = GRAPH_SCOPES,
    ) -> None:
        super().__init__(
            tenant_id,
            client_id,
            authority_host=authority_host,
            cache_path=cache_path,
            http_client=http_client,
            scopes=scopes,
        )
        self.certificate_path = Path(certificate_path).expanduser()
        pem = _read_pem(self.certificate_path)
        self.thumbprint = (thumbprint or _sha1_thumbprint(pem, self.certificate_path)).upper()
        self._pem = pem
        self._passphrase = passphrase

    def _client_credential(self) -> Any:
        credential = {"private_key": self._pem, "thumbprint": self.thumbprint}
        if self._passphrase:
            credential["passphrase"] = self._passphrase
        return credential


def _read_pem(path: Path) -> str:
    """Read a PEM file that must hold a private key."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read certificate file {path}: {exc}") from exc
    if "PRIVATE KEY-----" not in text:
        raise ConfigError(f"{path}: no private key found; expected a PEM with key and certificate")
    return text


def _sha1_thumbprint(pem: str, path: Path) -> str:
    """The certificate's SHA-1 thumbprint in hex, as Entra shows it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError as exc:
        raise ConfigError(
            f"{path}: no PEM certificate found; add it to the file or pass thumbprint="
        ) from exc
    return certificate.fingerprint(hashes.SHA1()).hex()


def _log_prompt(message: str) -> None:
    logger.warning("%s", message)


class DeviceCode(_MsalCredential):
    """Delegated sign-in by device code, for notebooks: tries the cache silently first."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        prompt: Callable[[str], None] = _log_prompt,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        cache_path: str | os.PathLike[str] | None = None,
        http_client: Any = None,
        scopes: Sequence[str] = GRAPH_SCOPES,
    ) -> None:
        super().__init__(
            tenant_id,
            client_id,
            authority_host=authority_host,
            cache_path=cache_path,
            http_client=http_client,
            scopes=scopes,
        )
        self._prompt = prompt

    def _build_app(self, options: dict[str, Any]) -> Any:
        try:
            return msal.PublicClientApplication(self.client_id, **options)
        except ValueError as exc:
            raise AuthError("invalid_configuration", str(exc)) from None

    def _acquire(self, app: Any, force_refresh: bool) -> dict[str, Any] | None:
        for account in app.get_accounts():
            result = app.acquire_token_silent(
                self.scopes, account=account, force_refresh=force_refresh
            )
            if result and "access_token" in result:
                return result
        flow = app.initiate_device_flow(scopes=self.scopes)
        if "user_code" not in flow:
            raise AuthError.from_msal(flow)
        self._prompt(str(flow.get("message") or flow["user_code"]))
        return app.acquire_token_by_device_flow(flow)


def credential_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    http_client: Any = None,
    command_line: bool = False,
) -> Credential:
    """Build a credential from PROVLYTICS_TOKEN, or AZURE_TENANT_ID + AZURE_CLIENT_ID + a secret
    or certificate (the names azure-identity uses).

    Raises:
        ConfigError: nothing usable is set; the message lists every way to supply it (for the
            `provlytics` commands, `command_line`: their options first, no Python way).
    """
    env = os.environ if environ is None else environ
    source = credential_source(env)
    if source is None:
        raise ConfigError(missing_credentials_message(env, command_line=command_line))
    if source == "token":
        return StaticToken(env["PROVLYTICS_TOKEN"])
    tenant, client = env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"]
    options: dict[str, Any] = {
        "authority_host": env.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY_HOST,
        "cache_path": env.get("PROVLYTICS_TOKEN_CACHE") or None,
        "http_client": http_client,
    }
    if source == "secret":
        return ClientSecret(tenant, client, env["AZURE_CLIENT_SECRET"], **options)
    return Certificate(
        tenant,
        client,
        certificate_path=env["AZURE_CLIENT_CERTIFICATE_PATH"],
        passphrase=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
        **options,
    )
