"""Sign-up, sign-in, sign-out and "My authorizations" pages."""

from fastapi import APIRouter

router = APIRouter()
