"""Writing notes and reading them back with their authors, for feeds and note pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from miniport.host.accounts.models import User
from miniport.host.brand_accounts.models import BrandAccount
from miniport.host.notes.models import Note
from miniport.host.search.index import NOTE, put_document

MAX_TITLE = 200
MAX_CAPTION = 40


class NoteError(ValueError):
    """Note data that cannot be stored."""


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a note: a person (``user``) or a brand's account (``account``)."""

    kind: str
    key: str  # username or account slug
    name_zh: str
    name_en: str
    verified: bool
    color: str
    monogram: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") or not self.name_en else self.name_en


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    title: str
    body: str
    cover_caption: str
    cover_palette: int
    cover_shape: str
    likes: int
    comments: int
    created_at: dt.datetime
    author: Author


def create_note(
    session: Session,
    *,
    title: str,
    body: str,
    cover_caption: str,
    author_user_id: int | None = None,
    author_account_id: int | None = None,
    cover_palette: int = 0,
    cover_shape: str = "bag",
    likes: int = 0,
    comments: int = 0,
    created_at: dt.datetime | None = None,
) -> Note:
    """Add a note and its searchable text (flushed, not committed)."""
    if (author_user_id is None) == (author_account_id is None):
        raise NoteError("a note has exactly one author: a user or a brand account")
    if not title.strip() or len(title) > MAX_TITLE or len(cover_caption) > MAX_CAPTION:
        raise NoteError("a note needs a title (at most 200 characters) and a short caption")
    note = Note(
        author_user_id=author_user_id,
        author_account_id=author_account_id,
        title=title.strip(),
        body=body.strip(),
        cover_caption=cover_caption.strip(),
        cover_palette=cover_palette,
        cover_shape=cover_shape,
        likes=likes,
        comments=comments,
    )
    if created_at is not None:
        note.created_at = created_at
    session.add(note)
    session.flush()
    # The cover caption is text people see on the picture, so it is searchable too.
    put_document(
        session, kind=NOTE, ref_id=note.id, parts=[note.title, note.body, note.cover_caption]
    )
    return note


def _with_authors() -> Select[Note, User, BrandAccount]:
    return (
        select(Note, User, BrandAccount)
        .outerjoin(User, User.id == Note.author_user_id)
        .outerjoin(BrandAccount, BrandAccount.id == Note.author_account_id)
    )


def _view(row: Row[Note, User, BrandAccount]) -> NoteView:
    # Outer joins: one of user and account is NULL, whatever the row's static type says.
    note: Note = row[0]
    user: User | None = row[1]
    account: BrandAccount | None = row[2]
    if account is not None:
        author = Author(
            kind="account",
            key=account.slug,
            name_zh=account.name_zh,
            name_en=account.name_en,
            verified=account.verified,
            color=account.color,
            monogram=account.monogram,
        )
    else:
        assert user is not None  # the one_author check constraint guarantees it
        author = Author(
            kind="user",
            key=user.username,
            name_zh=user.display_name,
            name_en=user.display_name,
            verified=False,
            color="",
            monogram=user.display_name[:1],
        )
    return NoteView(
        id=note.id,
        title=note.title,
        body=note.body,
        cover_caption=note.cover_caption,
        cover_palette=note.cover_palette,
        cover_shape=note.cover_shape,
        likes=note.likes,
        comments=note.comments,
        created_at=note.created_at,
        author=author,
    )


def feed(session: Session, *, limit: int = 40, offset: int = 0) -> list[NoteView]:
    """Newest notes first."""
    rows = session.execute(
        _with_authors().order_by(Note.created_at.desc(), Note.id.desc()).limit(limit).offset(offset)
    ).all()
    return [_view(row) for row in rows]


def get_note(session: Session, note_id: int) -> NoteView | None:
    row = session.execute(_with_authors().where(Note.id == note_id)).first()
    return _view(row) if row is not None else None


def notes_of_account(session: Session, account_id: int, *, limit: int = 40) -> list[NoteView]:
    rows = session.execute(
        _with_authors()
        .where(Note.author_account_id == account_id)
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(limit)
    ).all()
    return [_view(row) for row in rows]


def notes_by_ids(session: Session, ids: Sequence[int], *, limit: int = 40) -> list[NoteView]:
    """The given notes, most liked first (the order of search results)."""
    if not ids:
        return []
    rows = session.execute(
        _with_authors()
        .where(Note.id.in_(ids))
        .order_by(Note.likes.desc(), Note.id.desc())
        .limit(limit)
    ).all()
    return [_view(row) for row in rows]
