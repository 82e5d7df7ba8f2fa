"""One row of searchable text per note and per brand account.

On SQLite the migration adds an FTS5 table (``trigram`` tokenizer) that triggers keep in
step with this one; on PostgreSQL a ``pg_trgm`` GIN index covers ``text``. Either way the
domain code only ever writes these rows.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.host.db import HostBase

# Built by the migration for one dialect only, so not declared here: the SQLite FTS5 table
# (with its shadow tables search_fts_data, _idx, …) and the PostgreSQL trigram index.
DIALECT_INDEX_PREFIXES = ("search_fts", "ix_search_documents_text_trgm")


def is_dialect_index(name: str | None) -> bool:
    """Whether Alembic should leave this table or index alone when comparing schemas."""
    return bool(name) and str(name).startswith(DIALECT_INDEX_PREFIXES)


class SearchDocument(HostBase):
    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_search_documents_kind_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
