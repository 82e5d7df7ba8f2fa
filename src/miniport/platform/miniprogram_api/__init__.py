"""The mini-program API (the errcode/errmsg face): domain code, no web framework.

- ``credentials``  ``/cgi-bin/token`` and ``/cgi-bin/stable_token``
- ``launch``       ``/wxa/launch``: a host launches a mini program with a user's run ticket
- ``jscode2session`` the mini program trades the launch code for openid / unionid
- ``urllink``      ``/wxa/generate_urllink``, ``/wxa/query_urllink``, ``find_live_link``
- ``errors``       the errcode classes (and why they answer with HTTP 200)
- ``directory``, ``pages``, ``params``, ``quotas``, ``ratelimit``, ``context``: what those
  share — cached mini-program facts, page and query rules, strict parameter reading, daily
  quotas, the code-exchange rate limit, and the per-request context.

Modules are imported by name rather than re-exported here: the ports and OAuth packages
import ``models`` from this package, and an eager ``__init__`` would import them back.
"""
