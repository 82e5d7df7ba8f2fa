"""The order lifecycle, as an explicit state machine.

::

    created ──pay (customer)──▶ paid ──ship (staff)──▶ shipped ──complete──▶ completed
       │                          │                              (staff, or the
       │ cancel (customer, staff) │ cancel (staff: the brand       customer confirming
       ▼                          ▼  refunds the payment)          receipt)
    cancelled ◀───────────────────┘

``completed`` and ``cancelled`` are final. A shipped order cannot be cancelled: the piece is
on its way or waiting at the boutique, and returns are an after-sales matter, not a
cancellation. Only the moves drawn above exist; ``transition`` refuses every other one,
and refuses a move to a party not drawn next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class OrderState(StrEnum):
    CREATED = "created"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderAction(StrEnum):
    PAY = "pay"
    SHIP = "ship"
    COMPLETE = "complete"
    CANCEL = "cancel"


class Party(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


FINAL_STATES = frozenset({OrderState.COMPLETED, OrderState.CANCELLED})

_BOTH = frozenset({Party.CUSTOMER, Party.STAFF})
TRANSITIONS: Mapping[tuple[OrderState, OrderAction], tuple[OrderState, frozenset[Party]]] = {
    (OrderState.CREATED, OrderAction.PAY): (OrderState.PAID, frozenset({Party.CUSTOMER})),
    (OrderState.CREATED, OrderAction.CANCEL): (OrderState.CANCELLED, _BOTH),
    (OrderState.PAID, OrderAction.SHIP): (OrderState.SHIPPED, frozenset({Party.STAFF})),
    (OrderState.PAID, OrderAction.CANCEL): (OrderState.CANCELLED, frozenset({Party.STAFF})),
    (OrderState.SHIPPED, OrderAction.COMPLETE): (OrderState.COMPLETED, _BOTH),
}


class IllegalTransition(Exception):
    """The move is not in the diagram from this state (or the state changed meanwhile)."""

    def __init__(self, state: OrderState, action: OrderAction) -> None:
        super().__init__(f"an order that is {state} cannot {action}")
        self.state = state
        self.action = action


class NotPermitted(IllegalTransition):
    """The move exists, but this party may not make it."""

    def __init__(self, state: OrderState, action: OrderAction, party: Party) -> None:
        super().__init__(state, action)
        self.party = party


def transition(state: OrderState, action: OrderAction, *, by: Party) -> OrderState:
    """The state ``action`` leads to from ``state``; raises unless the diagram allows it."""
    move = TRANSITIONS.get((state, action))
    if move is None:
        raise IllegalTransition(state, action)
    target, parties = move
    if by not in parties:
        raise NotPermitted(state, action, by)
    return target


def actions_for(state: OrderState, party: Party) -> tuple[OrderAction, ...]:
    """What ``party`` may do to an order in ``state``, in the diagram's order."""
    return tuple(
        action
        for action in OrderAction
        if (move := TRANSITIONS.get((state, action))) is not None and party in move[1]
    )
