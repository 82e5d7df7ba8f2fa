"""A customer's cart, priced in integer fen."""

from miniport.shop.cart.cart import (
    MAX_QUANTITY,
    CartError,
    CartFull,
    CartItem,
    CartView,
    UnknownProduct,
    add,
    clear,
    remove,
    set_quantity,
    view,
)
from miniport.shop.cart.models import CartLine

__all__ = [
    "MAX_QUANTITY",
    "CartError",
    "CartFull",
    "CartItem",
    "CartLine",
    "CartView",
    "UnknownProduct",
    "add",
    "clear",
    "remove",
    "set_quantity",
    "view",
]
