"""Control characters in a platform address, refused in the shape of the path's family.

The check itself is ``miniport.common.control_characters``; what differs on the platform is
who reads the refusal. The mini-program API's SDKs read ``errcode`` 40097 (invalid args,
HTTP 200 like every answer of that family); OAuth clients and governance scripts read an
RFC 6749 ``invalid_request``; people get a page.

The lean path (``web.fastpath``) answers its hot endpoints before this runs: they read only
the parameters they need, through parsers that already refuse NUL and, on the mini-program
API, every control character, so they pay nothing for this guard.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from miniport.common.control_characters import REFUSED_MESSAGE, REFUSED_TITLE
from miniport.platform.miniprogram_api.errors import BadParameters
from miniport.platform.oauth.errors import InvalidRequest
from miniport.platform.web.errors import oauth_error_response
from miniport.platform.web.mp_errors import mp_json
from miniport.platform.web.templating import render_error

MINI_PROGRAM_API = ("/cgi-bin/", "/sns/", "/wxa/")
JSON_APIS = ("/token", "/introspect", "/revoke", "/userinfo", "/.well-known/", "/jwks", "/api/")

_DESCRIPTION = "control characters are not allowed in the path or query"


def refuse_control_characters(request: Request) -> Response:
    path: str = request.scope["path"]
    if path.startswith(MINI_PROGRAM_API):
        return mp_json(BadParameters(f"invalid args: {_DESCRIPTION}").as_dict())
    if path.startswith(JSON_APIS):
        return oauth_error_response(InvalidRequest(_DESCRIPTION))
    return render_error(request, title=REFUSED_TITLE, message=REFUSED_MESSAGE, status_code=400)
