"""The cart page and its forms: add a piece, change a quantity, remove a line."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.shop.cart.cart import MAX_QUANTITY, CartFull, UnknownProduct, add, set_quantity, view
from miniport.shop.catalog.catalog import MAX_ID
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import CheckedForm, DbSession, ReadDbSession, Shopper
from miniport.shop.web.templating import render, render_notice

# Pages are for people: only the entry and the forms are in the OpenAPI document.
router = APIRouter()


@router.get("/cart", include_in_schema=False)
def cart_page(request: Request, db: ReadDbSession, shopper: Shopper) -> Response:
    return render(
        request,
        "cart.html",
        {"tab": "cart", "cart": view(db, customer_id=shopper.customer_id), "max": MAX_QUANTITY},
    )


@router.post(
    "/cart/add",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.CART_ADD,
)
def add_to_cart(request: Request, form: CheckedForm, db: DbSession, shopper: Shopper) -> Response:
    product_id = form.integer("product_id", minimum=1, maximum=MAX_ID)
    quantity = form.integer("quantity", minimum=1, maximum=MAX_QUANTITY)
    try:
        add(
            db,
            customer_id=shopper.customer_id,
            product_id=product_id,
            quantity=quantity,
            now=utcnow(),
        )
    except UnknownProduct:
        return render_notice(
            request,
            title=N_("Not found"),
            message=N_("This piece or page is not in the store."),
            status_code=404,
        )
    except CartFull:
        return render_notice(
            request,
            title=N_("Your bag is full"),
            message=N_("Please check out or remove a piece before adding another."),
            status_code=409,
        )
    db.commit()
    return RedirectResponse("/cart", status_code=303)


@router.post(
    "/cart/update",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.CART_UPDATE,
)
def update_cart(form: CheckedForm, db: DbSession, shopper: Shopper) -> Response:
    product_id = form.integer("product_id", minimum=1, maximum=MAX_ID)
    # 0 removes the line (the "−" of a single piece sends 0); too many is capped, not refused.
    quantity = form.integer("quantity", minimum=0, maximum=99)
    set_quantity(db, customer_id=shopper.customer_id, product_id=product_id, quantity=quantity)
    db.commit()
    return RedirectResponse("/cart", status_code=303)
