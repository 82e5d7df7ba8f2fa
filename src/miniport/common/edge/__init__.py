"""The edge of every service: what runs in front of the app, and how the server is started.

- ``settings.EdgeSettings``: log format, access log, trusted proxies, request limits;
- ``middleware.Edge``: the outermost ASGI layer (limits, request ids, access log);
- ``access_log``: the redacted access log, written in batches off the request path;
- ``logs``: everything else that is logged, redacted, as JSON or text;
- ``redaction``: what counts as a credential in a query string or a log text;
- ``serving``: ``wrap`` for the ASGI factories, ``serve`` for the commands that run uvicorn.
"""

# Only the settings here: ``common.settings`` imports this package, and the settings of every
# service must stay importable without the web stack. The rest is imported from its module.
from miniport.common.edge.settings import EdgeSettings

__all__ = ["EdgeSettings"]
