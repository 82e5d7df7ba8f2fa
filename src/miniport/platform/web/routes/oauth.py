"""OpenID Connect endpoints: discovery, JWKS, authorize, token, userinfo, introspect, revoke."""

from fastapi import APIRouter

router = APIRouter()
