"""Generated pictures (products, icon, wordmark, banner) and the store's colour theme."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.i18n import request_locale
from miniport.shop.catalog.artwork import banner_svg, icon_svg, product_svg, wordmark_svg
from miniport.shop.catalog.catalog import get_product
from miniport.shop.web.deps import ReadDbSession, RuntimeDep

router = APIRouter(include_in_schema=False)

SVG = "image/svg+xml"
# Pictures change only when their product does; an hour is a fair reuse.
CACHED = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def _svg(body: str, *, vary_language: bool = False) -> Response:
    # No scripts in these, but say so to the browser too should one be opened directly.
    headers = {
        **CACHED,
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'",
    }
    if vary_language:
        headers["Vary"] = "Cookie, Accept-Language"
    return Response(body, media_type=SVG, headers=headers)


@router.get("/art/products/{product_id}.svg")
def product_picture(product_id: int, db: ReadDbSession, runtime: RuntimeDep) -> Response:
    product = get_product(db, product_id)
    if product is None:
        return Response(status_code=404)
    return _svg(
        product_svg(
            shape=product.art_shape,
            body=product.art_body,
            trim=product.art_trim,
            pattern=product.art_pattern,
            backdrop=runtime.settings.tint_color,
        )
    )


def _serif(runtime: RuntimeDep) -> bool:
    return runtime.settings.wordmark_style == "serif"


@router.get("/art/icon.svg")
def icon(runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    return _svg(
        icon_svg(
            wordmark=settings.wordmark,
            ink=settings.ink_color,
            accent=settings.accent_color,
            serif=_serif(runtime),
        )
    )


@router.get("/art/wordmark.svg")
def wordmark(runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    return _svg(
        wordmark_svg(
            wordmark=settings.wordmark,
            ink=settings.ink_color,
            paper=settings.paper_color,
            serif=_serif(runtime),
        )
    )


@router.get("/art/banner.svg")
def banner(request: Request, runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    chinese = request_locale(request).startswith("zh")
    return _svg(
        banner_svg(
            wordmark=settings.wordmark,
            title=settings.campaign_zh if chinese else settings.campaign_en,
            subtitle=settings.campaign_note_zh if chinese else settings.campaign_note_en,
            ink=settings.ink_color,
            accent=settings.accent_color,
            tint=settings.tint_color,
            serif=_serif(runtime),
        ),
        vary_language=True,
    )


@router.get("/theme.css")
def theme(runtime: RuntimeDep) -> Response:
    """The store's colours as CSS variables (a file, so the page CSP needs no inline style)."""
    settings = runtime.settings
    display = "var(--serif)" if _serif(runtime) else "var(--sans-display)"
    css = (
        ":root{"
        f"--ink:{settings.ink_color};"
        f"--paper:{settings.paper_color};"
        f"--accent:{settings.accent_color};"
        f"--tint:{settings.tint_color};"
        f"--display:{display};"
        "}\n"
    )
    return Response(css, media_type="text/css", headers=CACHED)
