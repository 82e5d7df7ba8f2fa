"""The order state machine: only the drawn moves exist, each for the parties drawn with it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniport.shop.orders.states import (
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    NotPermitted,
    OrderAction,
    OrderState,
    Party,
    actions_for,
    transition,
)

# How far along an order is; no move ever goes back.
PROGRESS = {
    OrderState.CREATED: 0,
    OrderState.PAID: 1,
    OrderState.SHIPPED: 2,
    OrderState.COMPLETED: 3,
    OrderState.CANCELLED: 3,
}


def test_the_happy_path() -> None:
    state = OrderState.CREATED
    state = transition(state, OrderAction.PAY, by=Party.CUSTOMER)
    state = transition(state, OrderAction.SHIP, by=Party.STAFF)
    state = transition(state, OrderAction.COMPLETE, by=Party.CUSTOMER)
    assert state is OrderState.COMPLETED


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (OrderState.CREATED, OrderAction.SHIP),
        (OrderState.CREATED, OrderAction.COMPLETE),
        (OrderState.PAID, OrderAction.PAY),
        (OrderState.SHIPPED, OrderAction.CANCEL),
        (OrderState.COMPLETED, OrderAction.CANCEL),
        (OrderState.CANCELLED, OrderAction.PAY),
    ],
)
def test_illegal_moves_are_refused(state: OrderState, action: OrderAction) -> None:
    for party in Party:
        with pytest.raises(IllegalTransition):
            transition(state, action, by=party)


def test_only_staff_ship_and_only_staff_cancel_a_paid_order() -> None:
    with pytest.raises(NotPermitted):
        transition(OrderState.PAID, OrderAction.SHIP, by=Party.CUSTOMER)
    with pytest.raises(NotPermitted):
        transition(OrderState.PAID, OrderAction.CANCEL, by=Party.CUSTOMER)
    with pytest.raises(NotPermitted):
        transition(OrderState.CREATED, OrderAction.PAY, by=Party.STAFF)
    assert transition(OrderState.PAID, OrderAction.CANCEL, by=Party.STAFF) is OrderState.CANCELLED


def test_the_actions_offered_are_the_ones_allowed() -> None:
    assert actions_for(OrderState.CREATED, Party.CUSTOMER) == (OrderAction.PAY, OrderAction.CANCEL)
    assert actions_for(OrderState.PAID, Party.STAFF) == (OrderAction.SHIP, OrderAction.CANCEL)
    assert actions_for(OrderState.COMPLETED, Party.STAFF) == ()


@given(st.lists(st.tuples(st.sampled_from(OrderAction), st.sampled_from(Party)), max_size=12))
def test_any_sequence_of_requests_stays_on_the_diagram(
    requests: list[tuple[OrderAction, Party]],
) -> None:
    state = OrderState.CREATED
    for action, party in requests:
        move = TRANSITIONS.get((state, action))
        try:
            following = transition(state, action, by=party)
        except NotPermitted:
            assert move is not None and party not in move[1]
            continue
        except IllegalTransition:
            assert move is None
            continue
        assert move is not None and following is move[0] and party in move[1]
        assert state not in FINAL_STATES
        assert PROGRESS[following] > PROGRESS[state]
        state = following
    if state in FINAL_STATES:
        assert all(actions_for(state, party) == () for party in Party)


@given(st.sampled_from(OrderState), st.sampled_from(OrderAction), st.sampled_from(Party))
def test_transition_agrees_with_actions_for(
    state: OrderState, action: OrderAction, party: Party
) -> None:
    allowed = action in actions_for(state, party)
    try:
        transition(state, action, by=party)
    except IllegalTransition:
        assert not allowed
    else:
        assert allowed
