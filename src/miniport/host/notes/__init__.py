"""Notes: a generated cover, title, text, author, likes and comment counts."""

from miniport.host.notes.models import Note
from miniport.host.notes.notes import (
    Author,
    NoteError,
    NoteView,
    create_note,
    feed,
    get_note,
    notes_by_ids,
    notes_of_account,
)

__all__ = [
    "Author",
    "Note",
    "NoteError",
    "NoteView",
    "create_note",
    "feed",
    "get_note",
    "notes_by_ids",
    "notes_of_account",
]
