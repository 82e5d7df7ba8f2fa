"""Search finds brands and notes by Chinese and Latin names, long and short."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.host.brand_accounts import (
    accounts_by_id,
    create_brand_account,
    find_account,
    rank_accounts,
)
from miniport.host.notes import notes_by_ids
from miniport.host.search import search, search_brand, terms_of


def leading_account(sessions: sessionmaker[Session], query: str) -> str | None:
    with sessions() as session:
        hits = search(session, query)
        accounts = rank_accounts(
            list(accounts_by_id(session, hits.account_ids).values()), terms_of(query)
        )
        return accounts[0].slug if accounts else None


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Gucci", "gucci"),
        ("gucci", "gucci"),
        ("ＧＵＣＣＩ", "gucci"),  # full-width, as some keyboards type it
        ("古驰", "gucci"),  # two characters: below the trigram length
        ("路易威登", "louis-vuitton"),
        ("LV", "louis-vuitton"),
        ("lv", "louis-vuitton"),
        ("Louis Vuitton", "louis-vuitton"),
        ("巴宝莉", "burberry"),
        ("蔻驰", "coach"),
        ("Cartier", "cartier"),
        ("思琳", "celine"),
    ],
)
def test_each_name_finds_its_brand_first(
    seeded: sessionmaker[Session], query: str, slug: str
) -> None:
    assert leading_account(seeded, query) == slug


def test_notes_are_found_by_chinese_and_latin_words(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        chinese = notes_by_ids(session, search(session, "风衣").note_ids)
        latin = notes_by_ids(session, search(session, "Speedy").note_ids)

    assert chinese and all("风衣" in note.title + note.body for note in chinese)
    assert [note.title for note in latin] == ["LV Speedy 25 vs 30: which one for travel?"]


def test_a_short_latin_term_matches_whole_words_only(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        lv_notes = notes_by_ids(session, search(session, "LV").note_ids)
        silver = notes_by_ids(session, search(session, "silver").note_ids)

    # The Cartier note says "silver-tone": it contains the letters l-v but is no LV note.
    assert silver and silver[0].author.key == "momo"
    assert all("silver" not in note.body for note in lv_notes)


def test_all_terms_must_match(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        both = search(session, "Gucci 竹节")  # a trigram term and a short one
        impossible = search(session, "古驰 卡地亚猎豹")

    assert len(both.note_ids) == 1
    assert impossible.empty


def test_query_syntax_is_text_not_operators(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        for query in ['"', "NOT", "a OR b", "*", "100%", "_", 'gucci"); --', "\\"]:
            search(session, query)  # never an FTS5 syntax error
        assert search(session, "   ").empty


def test_aliases_are_searchable_text(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        create_brand_account(
            session, slug="hermes", name_zh="爱马仕", name_en="Hermès", aliases=["HERMES", "H家"]
        )
    assert leading_account(seeded, "H家") == "hermes"
    assert leading_account(seeded, "hermes") == "hermes"


def test_an_exact_alias_outranks_a_bigger_account(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        # A made-up account whose name merely contains "gucci", with more followers.
        create_brand_account(
            session,
            slug="gucci-fans",
            name_zh="古驰爱好者",
            name_en="Gucci fans club",
            followers=10_000_000,
            verified=False,
        )
    with seeded() as session:
        hits = search(session, "Gucci")
        ranked = rank_accounts(
            list(accounts_by_id(session, hits.account_ids).values()), terms_of("Gucci")
        )
        assert [account.slug for account in ranked] == ["gucci", "gucci-fans"]
        assert find_account(session, "gucci") is not None


def test_a_brand_query_also_finds_notes_using_its_other_names(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as session:
        gucci = find_account(session, "gucci")
        assert gucci is not None
        plain = notes_by_ids(session, search(session, "Gucci").note_ids)
        widened = notes_by_ids(session, search_brand(session, "Gucci", gucci.aliases).note_ids)

    assert "古驰秋冬系列｜精品店预约试穿开启" not in [note.title for note in plain]
    assert "古驰秋冬系列｜精品店预约试穿开启" in [note.title for note in widened]
    assert {note.id for note in plain} < {note.id for note in widened}
