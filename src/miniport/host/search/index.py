"""Keeping the searchable text of notes and brand accounts.

Text is stored normalized (NFKC, then case-folded), so full-width ``ＧＵＣＣＩ`` and ``gucci``
are the same characters to every index, and queries are normalized the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.host.search.models import SearchDocument

NOTE = "note"
ACCOUNT = "account"


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def put_document(session: Session, *, kind: str, ref_id: int, parts: Iterable[str]) -> None:
    """Create or replace the searchable text of one note or account (flushed)."""
    text = normalize("\n".join(part.strip() for part in parts if part and part.strip()))
    document = session.scalar(
        select(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
    )
    if document is None:
        session.add(SearchDocument(kind=kind, ref_id=ref_id, text=text))
    else:
        document.text = text
    session.flush()
