"""The store serves an OpenAPI document of what a client sends it (the mini program's entry
and every form), and schemathesis fuzzes each operation against a real store on a real
platform with all of its checks (``tests.support.openapi_fuzz``): every answer is one the
document promises, never a server error, schema-valid forms are taken and invalid ones
refused.

The fuzzer carries what a real customer and a real member of staff hold: the session the
entry started, the staff session sign-in started, and the CSRF tokens their pages rendered
for them. Entry cases get fresh launch codes from the platform, and forms are also aimed at
real pieces, boutiques, slots and orders, so that the cases get past the checks into the
work: orders are placed and paid, visits booked, orders shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode
from sqlalchemy import func, select

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.shop.appointments.appointments import booking_days
from miniport.shop.appointments.models import Appointment
from miniport.shop.boutiques.boutiques import list_boutiques, opening_slots
from miniport.shop.catalog.catalog import products
from miniport.shop.orders.models import Order
from miniport.shop.settings import ShopSettings
from tests.shop.conftest import STAFF_PASSWORD, Launcher, Shopper, hidden
from tests.support.openapi_fuzz import (
    Auth,
    cookieless_session,
    failures_of,
    fuzz_operations,
    unreached,
)

CSRF_SHAPE = "[A-Za-z0-9_-]{43}"

OPERATIONS = {
    "GET /mp/entry",
    "POST /cart/add",
    "POST /cart/update",
    "GET /orders",
    "POST /orders",
    "GET /orders/{number}/pay",
    "POST /orders/{number}/pay",
    "POST /orders/{number}/{action}",
    "POST /appointments",
    "GET /staff/signin",
    "POST /staff/signin",
    "POST /staff/signout",
    "POST /staff/orders/{number}/{action}",
}


@dataclass(frozen=True)
class Browser:
    """The cookies a browser holds and the CSRF token its pages render for them."""

    cookies: dict[str, str]
    token: str

    def auth(self, **body: str) -> Auth:
        return Auth(
            cookies=self.cookies,
            body={"csrf_token": self.token, **body},
            shapes={"csrf_token": CSRF_SHAPE},
        )


def _browser(client: httpx.Client, page: str, names: tuple[str, ...]) -> Browser:
    response = client.get(page)
    assert response.status_code == 200, response.text
    cookies = {name: client.cookies[name] for name in names}
    return Browser(cookies=cookies, token=hidden(response, "csrf_token"))


def _place_order(shopper: Shopper, product_id: int) -> str:
    """A delivery order of one piece, placed through the pages; its number."""
    shopper.add_to_cart(product_id)
    checkout = shopper.get("/checkout")
    placed = shopper.post(
        "/orders",
        checkout,
        idempotency_key=hidden(checkout, "idempotency_key"),
        fulfilment="delivery",
        recipient_name="林",
        recipient_phone="13800000000",
        address="上海",
    )
    assert placed.status_code == 303, placed.text
    return placed.headers["location"].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Store:
    """What the fuzzer is given: a customer, a member of staff, and the store's real data."""

    customer: Browser
    staff: Browser
    signing_in: Browser
    launcher: Launcher
    products: list[int]
    boutiques: list[int]
    slots: list[tuple[int, str, str]]  # boutique, day, time
    unpaid: str  # an order of the customer's, to pay
    cancellable: str  # another, to cancel
    paid: str  # a paid one, for the staff to ship

    def fresh_code(self, case: Case) -> dict[str, Any]:
        """A schema-valid entry gets a launch code the platform just issued (single use)."""
        if case.meta is not None and case.meta.generation.mode.is_positive:
            code = parse_qs(urlsplit(self.launcher.launch_url()).query)["code"][0]
            case.query = {**(case.query or {}), "code": code}
        return {}

    def auth(self, operation: APIOperation) -> Auth:
        if operation.path == "/mp/entry":
            return Auth(prepare=self.fresh_code)
        if operation.path == "/staff/signin":
            return self.signing_in.auth(password=STAFF_PASSWORD)
        if operation.path.startswith("/staff/"):
            return self.staff.auth()
        return self.customer.auth()

    def real(self, operation: APIOperation, auth: Auth) -> list[SearchStrategy[Case]]:
        """Schema-valid cases aimed at real pieces, boutiques, slots and orders."""
        path = operation.path

        def aimed(
            values: SearchStrategy[Any], aim: Callable[[Case, Any], None], **kwargs: Any
        ) -> SearchStrategy[Case]:
            cases = operation.as_strategy(
                GenerationMode.POSITIVE, **auth.strategy_kwargs(), **kwargs
            )

            def aimed_case(pair: tuple[Case, Any]) -> Case:
                case, value = pair
                aim(case, value)
                return case

            return st.tuples(cases, values).map(aimed_case)

        def as_generated(_case: Case, _value: Any) -> None:
            return None

        def piece(case: Case, product_id: int) -> None:
            assert isinstance(case.body, dict)
            case.body["product_id"] = str(product_id)

        def slot(case: Case, chosen: tuple[int, str, str]) -> None:
            assert isinstance(case.body, dict)
            case.body.update(boutique_id=str(chosen[0]), day=chosen[1], time=chosen[2])

        def pickup(case: Case, boutique_id: int) -> None:
            assert isinstance(case.body, dict)
            case.body.update(fulfilment="pickup", boutique_id=str(boutique_id))

        if path == "/orders/{number}/pay":  # the cashier page and paying
            return [aimed(st.none(), as_generated, path_parameters={"number": self.unpaid})]
        if path == "/orders/{number}/{action}":
            return [aimed(st.none(), as_generated, path_parameters={"number": self.cancellable})]
        if path in ("/cart/add", "/cart/update"):
            return [aimed(st.sampled_from(self.products), piece)]
        if path == "/orders" and operation.method.upper() == "POST":
            return [aimed(st.sampled_from(self.boutiques), pickup)]
        if path == "/appointments":
            return [aimed(st.sampled_from(self.slots), slot)]
        if path.startswith("/staff/orders/"):
            return [aimed(st.none(), as_generated, path_parameters={"number": self.paid})]
        return []


@pytest.fixture
def store(
    shop_url: str, shop_settings: ShopSettings, entered: Shopper, launcher: Launcher
) -> Iterator[Store]:
    engine = make_engine(shop_settings.database_url)
    with make_sessionmaker(engine)() as session:
        pieces = [product.id for product in products(session)]
        boutiques = list_boutiques(session)
        slots = [
            (boutique.id, day.isoformat(), time.strftime("%H:%M"))
            for boutique in boutiques
            for day in booking_days(utcnow())[1:]  # not tomorrow: it may turn today meanwhile
            for time in opening_slots(boutique)
        ]
    engine.dispose()
    unpaid = _place_order(entered, pieces[0])
    cancellable = _place_order(entered, pieces[1])
    paid = _place_order(entered, pieces[2])
    cashier = entered.get(f"/orders/{paid}/pay")
    assert entered.post(f"/orders/{paid}/pay", cashier).status_code == 303
    session_cookie = shop_settings.session_cookie
    customer = _browser(entered.client, f"/products/{pieces[0]}", ("mp_csrf", session_cookie))
    with httpx.Client(base_url=shop_url, follow_redirects=False) as staff:
        signing_in = _browser(staff, "/staff/signin", ("mp_csrf",))
        signed_in = staff.post(
            "/staff/signin", data={"csrf_token": signing_in.token, "password": STAFF_PASSWORD}
        )
        assert signed_in.status_code == 303, signed_in.text
        staff_browser = _browser(staff, "/staff/orders", ("mp_csrf", shop_settings.staff_cookie))
    yield Store(
        customer=customer,
        staff=staff_browser,
        signing_in=signing_in,
        launcher=launcher,
        products=pieces,
        boutiques=[boutique.id for boutique in boutiques],
        slots=slots,
        unpaid=unpaid,
        cancellable=cancellable,
        paid=paid,
    )


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with cookieless_session() as kept_alive:
        yield kept_alive


def _count(settings: ShopSettings, model: type[Order] | type[Appointment]) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as db:
            return int(db.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_every_answer_is_the_one_the_openapi_document_promises(
    shop_url: str, shop_settings: ShopSettings, store: Store, session: requests.Session
) -> None:
    schema = schemathesis.openapi.from_url(f"{shop_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} == OPERATIONS
    orders_before = _count(shop_settings, Order)

    tallies = fuzz_operations(
        schema, operations, auth_for=store.auth, session=session, extra_strategies=store.real
    )
    failures = failures_of(tallies)
    assert not failures, failures
    assert unreached(tallies, OPERATIONS) == {}, "the fuzzer did not get into these handlers"
    # Past the redirects, the work was done: orders placed, visits booked.
    assert _count(shop_settings, Order) > orders_before
    assert _count(shop_settings, Appointment) > 0


def test_the_pages_are_not_in_the_document(shop_url: str) -> None:
    document = httpx.get(f"{shop_url}/openapi.json").json()
    assert not {"/", "/cart", "/checkout", "/products/{product_id}", "/staff/orders"} & set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"]["shopSession"]["in"] == "cookie"
