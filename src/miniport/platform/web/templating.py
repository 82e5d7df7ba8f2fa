"""Jinja2 templates for platform pages. (Minimal; the accounts/i18n work extends this.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from miniport.platform.runtime import PlatformRuntime

TEMPLATE_DIR = Path(__file__).parent / "templates"


def build_templates(runtime: PlatformRuntime) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATE_DIR)
    templates.env.globals["platform_name"] = runtime.settings.display_name_zh
    return templates


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
