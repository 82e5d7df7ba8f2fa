"""Search over notes and brand accounts (trigram indexes; Chinese and Latin text)."""

from miniport.host.search.index import ACCOUNT, NOTE, normalize, put_document
from miniport.host.search.query import MAX_QUERY_LENGTH, Hits, search, search_brand, terms_of

__all__ = [
    "ACCOUNT",
    "MAX_QUERY_LENGTH",
    "NOTE",
    "Hits",
    "normalize",
    "put_document",
    "search",
    "search_brand",
    "terms_of",
]
