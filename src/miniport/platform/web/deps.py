"""FastAPI dependencies shared by the platform's routes (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from miniport.platform.runtime import PlatformRuntime


def get_runtime(request: Request) -> PlatformRuntime:
    runtime: PlatformRuntime = request.app.state.runtime
    return runtime


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; the route commits where its work is complete."""
    with get_runtime(request).sessions() as session:
        yield session


RuntimeDep = Annotated[PlatformRuntime, Depends(get_runtime)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
DbSession = Annotated[Session, Depends(get_db)]
