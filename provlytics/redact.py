"""Scrub secrets out of text before it becomes an error message, a log line or a repr.

Three kinds are replaced by `<redacted>`:

- the bearer tokens this process sent (`remember_secret`, called by the Graph session for every
  token it sends), wherever they appear: a server may echo request headers in an error body;
- anything shaped like a JWT (three base64url segments, the first starting `eyJ`, as every
  Entra access token does) and a token-like word of 16 characters or more after `Bearer `;
- the values of paging cursors and OAuth fields: `$skiptoken=`, `$deltatoken=` (also
  percent-encoded as `%24skiptoken=`), and `access_token`, `refresh_token`, `id_token`,
  `device_code`, `user_code`, `client_secret`, `client_assertion`, `password` written as
  `name=value` or `"name": "value"`.

`RedactingFilter` applies the same to log records; `install_log_redaction` puts it on the
loggers of urllib3 (whose DEBUG lines carry request paths with skiptokens) and msal (whose
DEBUG token events carry the device code), so that `-vv` shows neither.

This module sits on the ground floor: it imports nothing from provlytics.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "<redacted>"
MAX_REMEMBERED = 32
MIN_SECRET_LENGTH = 8

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
# 16 characters at least: "a bearer token is required" stays readable
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]{16,}")
_FIELDS = (
    "access_token|refresh_token|id_token|device_code|user_code|client_secret"
    "|client_assertion|password"
)
THIRD_PARTY_LOGGERS = ("urllib3", "msal")
# msal's DEBUG token events also show the device code as a bare "code"
_MSAL_FIELDS = ("code",)


def _params_pattern(fields: str) -> re.Pattern[str]:
    return re.compile(
        r"(?i)((?:%24|\$)(?:skiptoken|deltatoken)=|\b(?:" + fields + r")(?:=|[\"']\s*:\s*[\"']))"
        r"(?!<redacted>)([^&\s\"'<>,;]+)"
    )


_PARAMS = _params_pattern(_FIELDS)

_remembered: dict[str, None] = {}
_lock = threading.Lock()


def remember_secret(secret: str | None) -> None:
    """Add a secret (e.g. the bearer token about to be sent) to those `redact` replaces.

    The most recent `MAX_REMEMBERED` secrets are kept; strings shorter than 8 characters are
    ignored (they would redact ordinary words).
    """
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _remembered.pop(secret, None)
        _remembered[secret] = None
        while len(_remembered) > MAX_REMEMBERED:
            del _remembered[next(iter(_remembered))]


def redact(text: str, *, params: re.Pattern[str] = _PARAMS) -> str:
    """`text` with remembered secrets, JWTs, bearer tokens and secret parameters replaced.

    Example:
        >>> redact("Authorization: Bearer abcdef.0123456789 and $skiptoken=X1y2")
        'Authorization: Bearer <redacted> and $skiptoken=<redacted>'
    """
    if not text:
        return text
    with _lock:
        secrets = list(_remembered)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    return params.sub(rf"\g<1>{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message and redacts it (never drops one).

    Args:
        fields: more `name=value` / `"name": "value"` fields to redact than the default ones.
    """

    def __init__(self, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.fields = fields
        names = "|".join((_FIELDS, *map(re.escape, fields)))
        self._params = _params_pattern(names) if fields else _PARAMS

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message, params=self._params)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(prefixes: tuple[str, ...] = THIRD_PARTY_LOGGERS) -> list[str]:
    """Put a `RedactingFilter` on every logger under `prefixes` that exists now.

    A logger filter only sees the records created on that very logger, so it goes on each one
    (`urllib3.connectionpool`, `msal.token_cache`, ...); import urllib3 and msal first. Calling
    it again adds nothing twice. Returns the names of the loggers it covers.
    """
    names = [
        name
        for name, item in list(logging.root.manager.loggerDict.items())
        if isinstance(item, logging.Logger) and name.split(".", 1)[0] in prefixes
    ]
    for name in sorted(set(names) | set(prefixes)):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            fields = _MSAL_FIELDS if name.split(".", 1)[0] == "msal" else ()
            target.addFilter(RedactingFilter(fields=fields))
    return sorted(set(names) | set(prefixes))
