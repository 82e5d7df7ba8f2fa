"""Browsing: home, categories, a category, a product, and the customer's "Me" page.

Browsing needs no session, so the store also works opened directly; pages that are the
customer's own (cart, orders) need the session the mini program's entry starts.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.i18n import N_
from miniport.shop.appointments.appointments import appointments_of
from miniport.shop.catalog.catalog import categories, get_category, get_product, products, related
from miniport.shop.guides.guides import guide_of
from miniport.shop.orders.orders import orders_of
from miniport.shop.web.deps import ReadDbSession, Shopper
from miniport.shop.web.templating import render, render_notice

router = APIRouter(include_in_schema=False)


def _not_found(request: Request) -> Response:
    return render_notice(
        request,
        title=N_("Not found"),
        message=N_("This piece or page is not in the store."),
        status_code=404,
    )


@router.get("/")
def home(request: Request, db: ReadDbSession) -> Response:
    return render(
        request,
        "home.html",
        {"tab": "home", "categories": categories(db), "products": products(db)},
    )


@router.get("/categories")
def category_list(request: Request, db: ReadDbSession) -> Response:
    return render(request, "categories.html", {"tab": "categories", "categories": categories(db)})


@router.get("/categories/{category_id}")
def category_page(request: Request, category_id: int, db: ReadDbSession) -> Response:
    category = get_category(db, category_id)
    if category is None:
        return _not_found(request)
    return render(
        request,
        "category.html",
        {
            "tab": "categories",
            "category": category,
            "categories": categories(db),
            "products": products(db, category_id=category.id),
        },
    )


@router.get("/products/{product_id}")
def product_page(request: Request, product_id: int, db: ReadDbSession) -> Response:
    product = get_product(db, product_id)
    if product is None:
        return _not_found(request)
    category = get_category(db, product.category_id)
    return render(
        request,
        "product.html",
        {"tab": "home", "product": product, "category": category, "related": related(db, product)},
    )


@router.get("/me")
def me(request: Request, db: ReadDbSession, shopper: Shopper) -> Response:
    return render(
        request,
        "me.html",
        {
            "tab": "me",
            "orders": orders_of(db, shopper.customer_id)[:3],
            "bookings": appointments_of(db, shopper.customer_id),
            "guide": guide_of(db, shopper.customer_id),
        },
    )
