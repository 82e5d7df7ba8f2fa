"""The mini-program API's error family: ``{"errcode": N, "errmsg": "…"}`` answered with HTTP 200.

That API family (``/cgi-bin/token``, ``/sns/jscode2session``, ``/wxa/…``) reports every
refusal in the body and keeps the HTTP status at **200**: its SDKs raise on a non-zero
``errcode`` and treat any non-2xx status as a transport failure, so a 4xx would hide the
errcode from them. miniport does the same; a non-200 status from these endpoints means the
request never reached them (404 unknown path, 405 wrong method).

::

    MiniProgramApiError            errcode, errmsg
     ├── Busy                      -1     system busy, retry (a database timeout)
     ├── InvalidCredential         40001  access token / run ticket invalid, expired, revoked
     ├── InvalidGrantType          40002  grant_type is not the one the endpoint takes
     ├── InvalidAppid              40013  no such mini program
     ├── InvalidSecret             40125  wrong secret for that appid
     ├── InvalidCode               40029  js_code unknown, used, expired, revoked or foreign
     ├── BlockedUser               40226  the user is blocked by the platform
     ├── QuotaReached              45009  a daily quota is spent (launches, URL links, refresh)
     ├── RateLimited               45011  too many code exchanges for one user
     ├── InvalidPagePath           40165  the path is not a page of the mini program
     ├── InvalidQuery              40212  the query is too long or has characters not allowed
     ├── ExpiryOutOfRange          85401  a URL link's expiry is not within 1 to 30 days
     ├── MalformedData             47001  unreadable body: not JSON, not UTF-8, too large,
     │                                    or a required field missing
     ├── BadParameters             40097  a parameter of the wrong type or value, or repeated
     └── PortClosed                89300  miniport's own: the platform does not let this host
                                          run this mini program now; errmsg is
                                          ``port closed: <reason>`` with the reason code of the
                                          port decision (``port_closed``, ``host_suspended``,
                                          ``not_in_rollout``, ``trial_ended``, ``no_port``, …)

Domain code raises these; ``miniport.platform.web.mp_errors`` maps the whole family to JSON in
one handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


class MiniProgramApiError(Exception):
    """A refusal of the mini-program API; ``errmsg`` defaults to the code's usual text."""

    errcode: ClassVar[int] = -1
    default_errmsg: ClassVar[str] = "system error"

    def __init__(self, errmsg: str | None = None) -> None:
        self.errmsg = errmsg or self.default_errmsg
        super().__init__(self.errmsg)

    def as_dict(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "errmsg": self.errmsg}


class Busy(MiniProgramApiError):
    errcode = -1
    default_errmsg = "system busy, please retry"


class InvalidCredential(MiniProgramApiError):
    errcode = 40001
    default_errmsg = "invalid credential, access_token is invalid or not latest"


class InvalidGrantType(MiniProgramApiError):
    errcode = 40002
    default_errmsg = "invalid grant_type"


class InvalidAppid(MiniProgramApiError):
    errcode = 40013
    default_errmsg = "invalid appid"


class InvalidSecret(MiniProgramApiError):
    errcode = 40125
    default_errmsg = "invalid appsecret"


class InvalidCode(MiniProgramApiError):
    errcode = 40029
    default_errmsg = "invalid code"


class BlockedUser(MiniProgramApiError):
    errcode = 40226
    default_errmsg = "user is blocked"


class QuotaReached(MiniProgramApiError):
    errcode = 45009
    default_errmsg = "reach max api daily quota limit"


class RateLimited(MiniProgramApiError):
    errcode = 45011
    default_errmsg = "api minute-quota reach limit, mustslower retry next minute"


class InvalidPagePath(MiniProgramApiError):
    errcode = 40165
    default_errmsg = "invalid weapp pagepath"


class InvalidQuery(MiniProgramApiError):
    errcode = 40212
    default_errmsg = "invalid query"


class ExpiryOutOfRange(MiniProgramApiError):
    errcode = 85401
    default_errmsg = "time limit between 1min and 30 days"


class MalformedData(MiniProgramApiError):
    errcode = 47001
    default_errmsg = "data format error"


class BadParameters(MiniProgramApiError):
    errcode = 40097
    default_errmsg = "invalid args"


class PortClosed(MiniProgramApiError):
    """The port decision says no; ``reason`` is its stable reason code."""

    errcode = 89300
    default_errmsg = "port closed"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"port closed: {reason}")


@contextmanager
def busy_on_database_errors() -> Iterator[None]:
    """Answer ``-1`` (retry) when the database times out or drops the connection.

    A locked SQLite file or a lost PostgreSQL connection is transient; SDKs of this family
    retry on ``-1``, whereas a 500 would read to them as a broken server.
    """
    try:
        yield
    except OperationalError as exc:
        log.warning("mini-program API: database unavailable: %s", exc.orig)
        raise Busy() from exc
