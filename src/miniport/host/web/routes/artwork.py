"""Generated pictures (note covers, avatars), the instance's logo and its colour theme."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from miniport.host.accounts import find_user
from miniport.host.artwork import avatar_svg, colour_for, cover_svg
from miniport.host.brand_accounts import find_account
from miniport.host.notes import get_note
from miniport.host.web.deps import ReadDbSession, RuntimeDep
from miniport.host.web.templating import WEB_DIR

router = APIRouter(include_in_schema=False)

SVG = "image/svg+xml"
# Pictures change only when their note or account does; an hour is a fair reuse.
CACHED = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
LOGO_DIR = WEB_DIR / "static" / "logos"


def _svg(body: str) -> Response:
    # No scripts in these, but say so to the browser too should one ever be opened directly.
    headers = {**CACHED, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return Response(body, media_type=SVG, headers=headers)


@router.get("/covers/{note_id}.svg")
def cover(note_id: int, db: ReadDbSession) -> Response:
    note = get_note(db, note_id) if 0 < note_id <= 2_147_483_647 else None
    if note is None:
        return Response(status_code=404)
    return _svg(
        cover_svg(
            caption=note.cover_caption, palette_index=note.cover_palette, shape=note.cover_shape
        )
    )


@router.get("/avatars/brands/{slug}.svg")
def brand_avatar(slug: str, db: ReadDbSession) -> Response:
    account = find_account(db, slug) if len(slug) <= 64 else None
    if account is None:
        return Response(status_code=404)
    return _svg(avatar_svg(monogram=account.monogram, colour=account.color))


@router.get("/avatars/people/{username}.svg")
def person_avatar(username: str, db: ReadDbSession) -> Response:
    user = find_user(db, username) if len(username) <= 64 else None
    if user is None:
        return Response(status_code=404)
    return _svg(avatar_svg(monogram=user.display_name[:1], colour=colour_for(user.username)))


@router.get("/logo.svg")
def logo(runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    path = settings.logo_path or LOGO_DIR / f"{settings.slug}.svg"
    if not path.is_file():
        path = LOGO_DIR / "generic.svg"
    return FileResponse(path, media_type=SVG, headers=CACHED)


@router.get("/theme.css")
def theme(request: Request, runtime: RuntimeDep) -> Response:
    """The instance's colours as CSS variables (a file, so the page CSP needs no inline style)."""
    settings = runtime.settings
    css = (
        ":root{"
        f"--brand:{settings.primary_color};"
        f"--brand-dark:{settings.primary_dark};"
        f"--brand-tint:{settings.tint_color};"
        "}\n"
    )
    return Response(css, media_type="text/css", headers=CACHED)
