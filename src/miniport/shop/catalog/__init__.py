"""The catalog: categories, products, prices in integer fen, generated pictures."""

from miniport.shop.catalog.catalog import (
    categories,
    get_category,
    get_product,
    products,
    products_by_ids,
    related,
)
from miniport.shop.catalog.models import Category, Product
from miniport.shop.catalog.money import CURRENCY, line_total, yuan

__all__ = [
    "CURRENCY",
    "Category",
    "Product",
    "categories",
    "get_category",
    "get_product",
    "line_total",
    "products",
    "products_by_ids",
    "related",
    "yuan",
]
