"""The demo data for both stores, and the pictures drawn from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from miniport.common.db import make_engine, make_sessionmaker
from miniport.shop.boutiques import Boutique
from miniport.shop.catalog import Product
from miniport.shop.catalog.artwork import (
    PATTERNS,
    SHAPES,
    banner_svg,
    icon_svg,
    product_svg,
    wordmark_svg,
)
from miniport.shop.guides import Guide
from miniport.shop.seed import STORES, AlreadySeeded, seed_database
from miniport.shop.sessions import MINI_PROGRAM_PAGES, is_local, page_url


def _parse(svg: str) -> ET.Element:
    # Our own generated markup, parsed only to prove it is well-formed XML.
    return ET.fromstring(svg)  # noqa: S314


@pytest.mark.parametrize("instance", sorted(STORES))
def test_each_store_seeds_a_fresh_database(tmp_path: Path, instance: str) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    summary = seed_database(url, instance=instance)

    assert summary.products >= 8 and summary.boutiques == 3 and summary.guides == 6
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            products = session.scalars(select(Product)).all()
            assert all(p.price_cents > 0 and p.price_cents % 100 == 0 for p in products)
            assert all(p.name_zh and p.name_en and p.art_shape in SHAPES for p in products)
            assert all(p.art_pattern in PATTERNS for p in products)
            cities = {b.city_en for b in session.scalars(select(Boutique))}
            assert len(cities) == 3 and {"Shanghai", "Beijing"} <= cities
            per_boutique = session.execute(
                select(Guide.boutique_id, func.count()).group_by(Guide.boutique_id)
            ).all()
            assert [count for _, count in per_boutique] == [2, 2, 2]
    finally:
        engine.dispose()
    with pytest.raises(AlreadySeeded):
        seed_database(url, instance=instance)


def test_unknown_instances_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown shop instance"):
        seed_database(f"sqlite:///{tmp_path / 'shop.db'}", instance="burberry")


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_product_picture_is_well_formed_svg(shape: str, pattern: str) -> None:
    svg = product_svg(
        shape=shape, body="#1b1b1b", trim="#b8975a", pattern=pattern, backdrop="#f6f2ea"
    )
    root = _parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_picture_inputs_cannot_inject_markup() -> None:
    svg = product_svg(
        shape="<script>", body='"/><script>', trim="red", pattern="<x>", backdrop="url(evil)"
    )
    assert "<script" not in svg and "evil" not in svg
    _parse(svg)
    for text in (
        wordmark_svg(wordmark="<b>&", ink="#000000", paper="#ffffff", serif=True),
        icon_svg(wordmark="<b> & co", ink="#000000", accent="#b8975a", serif=False),
        banner_svg(
            wordmark="G",
            title="<i>",
            subtitle="&",
            ink="#000000",
            accent="#b8975a",
            tint="#ffffff",
            serif=True,
        ),
    ):
        assert "<b>" not in text and "<i>" not in text
        _parse(text)


@given(st.text(max_size=80))
def test_entry_paths_always_map_to_a_page_of_the_store(path: str) -> None:
    assert is_local(page_url(path))


def test_entry_paths_map_to_their_pages() -> None:
    assert page_url("/pages/index") == "/"
    assert page_url("pages/product?id=7") == "/products/7"
    assert page_url("/pages/product?id=7&from=note") == "/products/7"
    assert page_url("/pages/product?id=abc") == "/"
    assert page_url("/pages/category?id=2") == "/categories/2"
    assert page_url("/pages/guide?code=GC-SH-LINYUE") == "/g/GC-SH-LINYUE"
    assert page_url("/pages/guide?code=../../x") == "/"
    assert page_url("//evil.example") == "/"
    assert {page_url(page) for page in MINI_PROGRAM_PAGES} >= {"/", "/cart", "/orders"}


def test_the_pictures_are_served(shopper: object) -> None:
    from tests.shop.conftest import Shopper

    assert isinstance(shopper, Shopper)
    for path in ("/art/products/1.svg", "/art/icon.svg", "/art/wordmark.svg", "/art/banner.svg"):
        response = shopper.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("image/svg+xml")
        _parse(response.text)
    assert shopper.get("/art/products/999.svg").status_code == 404
