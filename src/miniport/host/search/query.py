"""Search over notes and brand accounts, for Chinese and Latin text alike.

Chinese has no spaces between words, so a word index would not do: both dialects index
trigrams and match substrings. SQLite's FTS5 ``trigram`` tokenizer can only match terms of
three or more characters, so shorter terms ("LV", "古驰") fall back to ``LIKE`` on the same
rows (a scan, but of one short text per note or account). PostgreSQL's ``pg_trgm`` GIN index
serves ``LIKE '%…%'`` for every term. Terms are separated by spaces and must all match.

A short Latin term matches whole words only: "LV" should find Louis Vuitton, not "silver".

Control characters separate terms like spaces. They never occur in indexed text, and passed
on they break the query: FTS5 reads NUL as the end of its string ("unterminated string"),
PostgreSQL refuses NUL in any parameter, and SQLite cannot encode a lone surrogate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, and_, select, text
from sqlalchemy.orm import Session

from miniport.host.search.index import ACCOUNT, NOTE, normalize
from miniport.host.search.models import SearchDocument

MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
TRIGRAM = 3
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Hits:
    """Matching ids per kind, in index order; ranking is the caller's business."""

    account_ids: tuple[int, ...]
    note_ids: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return not self.account_ids and not self.note_ids


def terms_of(query: str) -> list[str]:
    """The normalized, de-duplicated terms of a query (at most ``MAX_TERMS``)."""
    seen: list[str] = []
    for term in normalize(_CONTROL.sub(" ", query[:MAX_QUERY_LENGTH])).split():
        if term not in seen:
            seen.append(term)
    return seen[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(term: str) -> str:
    # A quoted FTS5 string is a phrase; inside it only the double quote needs escaping.
    # Quoting also keeps words like AND / NOT from being read as operators.
    return '"' + term.replace('"', '""') + '"'


def _whole_word_only(term: str) -> bool:
    return _LATIN_WORD.fullmatch(term) is not None and len(term) < TRIGRAM


def _matches_word(document: str, term: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", document) is not None


def search(session: Session, query: str, *, limit: int = 200) -> Hits:
    terms = terms_of(query)
    if not terms:
        return Hits((), ())
    dialect = session.get_bind().dialect.name
    conditions: list[ColumnElement[bool]] = []
    long_terms = [term for term in terms if len(term) >= TRIGRAM]
    if dialect == "sqlite" and long_terms:
        fts = (
            text("SELECT rowid FROM search_fts WHERE search_fts MATCH :match")
            .bindparams(match=" AND ".join(_fts_phrase(term) for term in long_terms))
            .columns(rowid=Integer)
        )
        conditions.append(SearchDocument.id.in_(fts))
        like_terms = [term for term in terms if len(term) < TRIGRAM]
    else:
        like_terms = terms
    conditions.extend(
        SearchDocument.text.like(_like_pattern(term), escape="\\") for term in like_terms
    )
    rows = session.execute(
        select(SearchDocument.kind, SearchDocument.ref_id, SearchDocument.text)
        .where(and_(*conditions))
        .order_by(SearchDocument.id)
        .limit(limit)
    ).all()
    word_terms = [term for term in terms if _whole_word_only(term)]
    accounts: list[int] = []
    notes: list[int] = []
    for kind, ref_id, document in rows:
        if not all(_matches_word(document, term) for term in word_terms):
            continue
        if kind == ACCOUNT:
            accounts.append(ref_id)
        elif kind == NOTE:
            notes.append(ref_id)
    return Hits(tuple(accounts), tuple(notes))


def search_brand(session: Session, query: str, aliases: Sequence[str]) -> Hits:
    """``search`` for a query that names a brand: notes may call it by any of its names.

    "Gucci" then also finds notes that only say 古驰, and "LV" those that say 路易威登.
    """
    hits = search(session, query)
    notes = list(hits.note_ids)
    for alias in aliases:
        for note_id in search(session, alias).note_ids:
            if note_id not in notes:
                notes.append(note_id)
    return Hits(hits.account_ids, tuple(notes))
