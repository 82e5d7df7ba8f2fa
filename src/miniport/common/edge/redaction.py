"""Credentials out of logs: query strings for the access log, any text for error logs.

A parameter is sensitive when its name contains one of ``SENSITIVE_WORDS`` (``secret``
covers ``client_secret``, ``code`` covers ``js_code`` and ``code_verifier``, ``token`` covers
``access_token``, ``refresh_token`` and ``id_token_hint``, and so on); its value is replaced
by ``***``. Over-redacting a harmless parameter (``code_challenge``) costs a little
debugging; under-redacting costs a credential, so the test is by substring.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

REDACTED = "***"

# Lower case. Matched as substrings of parameter names, so also under any prefix or suffix.
SENSITIVE_WORDS: tuple[str, ...] = (
    "secret",  # secret, client_secret, app_secret, webhook_secret
    "token",  # access_token, refresh_token, id_token_hint, token (introspect/revoke), csrf_token
    "passw",  # password, passwd
    "code",  # code (authorization and launch codes), js_code, code_verifier
    "key",  # session_key, user_key, api_key
    "assertion",  # client_assertion
    "ticket",  # run tickets under any name
    "csrf",
    "signature",
    "credential",
    "cookie",
)
# One regular expression over lower-cased bytes: in C, it beats a Python loop of ``in`` tests.
_WORDS = re.compile("|".join(SENSITIVE_WORDS).encode("ascii"))
# Names with such a word that carry nothing secret, by the protocols' design: the PKCE
# challenge travels through the browser in the clear (RFC 7636 §4.3), and the rest are enums.
PUBLIC_NAMES = frozenset(
    {b"code_challenge", b"code_challenge_method", b"token_type_hint", b"response_type"}
)
# Headers whose whole value is a credential (never logged by the access log at all; listed
# for error texts that quote headers).
SENSITIVE_HEADERS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
)


_verdicts: dict[bytes, bool] = {}
_MAX_VERDICTS = 1024


def _sensitive_name(name: bytes) -> bool:
    verdict = _verdicts.get(name)
    if verdict is None:
        decoded = name
        if b"%" in name or b"+" in name:
            # The application decodes names (``s%65cret`` is ``secret``): so must we.
            decoded = unquote_plus(name.decode("latin-1")).encode("utf-8", "surrogateescape")
        lowered = decoded.lower()
        verdict = lowered not in PUBLIC_NAMES and _WORDS.search(lowered) is not None
        # Remembered for the few names real clients send; not for whatever else arrives.
        if len(_verdicts) < _MAX_VERDICTS:
            _verdicts[name] = verdict
    return verdict


def maybe_sensitive(query: bytes) -> bool:
    """Whether ``query`` could name a sensitive parameter: the cheap test before parsing.

    A percent sign may hide a name (``s%65cret`` is ``secret`` to the application), so a
    query with one is always parsed.
    """
    lowered = query.lower()
    return b"%" in lowered or _WORDS.search(lowered) is not None


def redact_query(query: bytes) -> bytes:
    """``query`` with the value of every sensitive parameter replaced by ``***``."""
    if not maybe_sensitive(query):
        return query
    parts = []
    for part in query.split(b"&"):
        name, equals, _value = part.partition(b"=")
        parts.append(name + b"=***" if equals and _sensitive_name(name) else part)
    return b"&".join(parts)


# In free text (an exception's message, a URL in a traceback): name=value pairs, quoted
# "name": "value" pairs, header lines or header tuples, and bare bearer credentials. ``code``
# and ``key`` only where a name starts or follows an underscore, so ``errcode=40029`` and
# ``monkey=1`` stay readable.
_NAME = (
    r"[\w.-]*?(?:secret|token|passw|assertion|ticket|csrf|signature|credential|cookie"
    r"|(?<![a-z])code|(?<![a-z])key)[\w.-]*"
)
_HEADER = "|".join(re.escape(header) for header in SENSITIVE_HEADERS)
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"(?i)\b(?P<name>{_HEADER})(?P<sep>['\"]?\s*[:,=]\s*b?['\"]?)[^'\"\r\n]+"),
        rf"\g<name>\g<sep>{REDACTED}",
    ),
    (
        re.compile(
            rf"(?i)(?P<q>['\"])(?P<name>{_NAME})(?P=q)(?P<sep>\s*:\s*)(?P<v>['\"]).*?(?P=v)"
        ),
        rf"\g<q>\g<name>\g<q>\g<sep>\g<v>{REDACTED}\g<v>",
    ),
    (re.compile(rf"(?i)\b(?P<name>{_NAME})=[^&\s'\"<>,;)\]]+"), rf"\g<name>={REDACTED}"),
    (re.compile(r"(?i)\b(?P<scheme>Bearer|Basic)\s+[\w.~+/=-]{6,}"), rf"\g<scheme> {REDACTED}"),
)


def redact_text(text: str) -> str:
    """``text`` with credentials it quotes replaced by ``***`` (for error logs, not hot)."""
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text
