"""Scrub secrets out of text before it becomes an error message, a log line or a repr.

Three kinds are replaced by `<redacted>`:

- the bearer tokens this process sent (`remember_secret`, called by the Graph session for every
  token it sends), wherever they appear: a server may echo request headers in an error body;
- anything shaped like a JWT (three base64url segments, the first starting `eyJ`, as every
  Entra access token does) and whatever follows `Bearer `;
- the values of paging cursors and OAuth fields: `$skiptoken=`, `$deltatoken=` (also
  percent-encoded as `%24skiptoken=`), and `access_token`, `refresh_token`, `id_token`,
  `device_code`, `user_code`, `client_secret`, `client_assertion`, `password` written as
  `name=value` or `"name": "value"`.

This module sits on the ground floor: it imports nothing from provlytics.
"""

from __future__ import annotations

import re
import threading

REDACTED = "<redacted>"
MAX_REMEMBERED = 32
MIN_SECRET_LENGTH = 8

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=-]+")
_FIELDS = (
    "access_token|refresh_token|id_token|device_code|user_code|client_secret"
    "|client_assertion|password"
)
_PARAMS = re.compile(
    r"(?i)((?:%24|\$)(?:skiptoken|deltatoken)=|\b(?:" + _FIELDS + r")(?:=|[\"']\s*:\s*[\"']))"
    r"(?!<redacted>)([^&\s\"'<>,;]+)"
)

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


def redact(text: str) -> str:
    """`text` with remembered secrets, JWTs, bearer tokens and secret parameters replaced.

    Example:
        >>> redact("Authorization: Bearer abc.def and $skiptoken=X1y2")
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
    return _PARAMS.sub(rf"\g<1>{REDACTED}", text)
