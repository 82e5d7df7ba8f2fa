"""The browsing pages: the feed, a note, a brand account, search."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from miniport.common.i18n import N_
from miniport.host.brand_accounts import (
    accounts_by_id,
    find_account,
    list_accounts,
    names_exactly,
    rank_accounts,
)
from miniport.host.notes import feed, get_note, notes_by_ids, notes_of_account
from miniport.host.search import MAX_QUERY_LENGTH, search, search_brand, terms_of
from miniport.host.web import openapi_docs
from miniport.host.web.deps import OptionalSignIn, ReadDbSession, RuntimeDep
from miniport.host.web.routes.cards import entries_for_page
from miniport.host.web.templating import render, render_notice

# The feed takes no input; the pages that do are in the OpenAPI document.
router = APIRouter()

FEED_PAGE = 40
MAX_NOTE_ID = 2_147_483_647


def _here(request: Request) -> str:
    """This page as a same-site path, for ✕ on the container to return to."""
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


@router.get("/", include_in_schema=False)
def home(request: Request, db: ReadDbSession) -> Response:
    notes = feed(db, limit=FEED_PAGE)
    return render(request, "feed.html", {"notes": notes, "tab": "home"})


@router.get("/notes/{note_id}", response_class=HTMLResponse, openapi_extra=openapi_docs.NOTE)
def note_page(request: Request, note_id: int, db: ReadDbSession) -> Response:
    note = get_note(db, note_id) if 0 < note_id <= MAX_NOTE_ID else None
    if note is None:
        return render_notice(
            request,
            title=N_("Note not found"),
            message=N_("This note does not exist or has been removed."),
            status_code=404,
        )
    return render(request, "note.html", {"note": note})


@router.get("/brands", response_class=HTMLResponse, openapi_extra=openapi_docs.BRANDS)
def brands(
    request: Request, db: ReadDbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    accounts = list_accounts(db)
    entries = entries_for_page(runtime, db, signin, accounts)
    return render(
        request,
        "brands.html",
        {"accounts": accounts, "entries": entries, "tab": "brands", "here": _here(request)},
    )


@router.get("/brands/{slug}", response_class=HTMLResponse, openapi_extra=openapi_docs.BRAND)
def brand_page(
    request: Request, slug: str, db: ReadDbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    account = find_account(db, slug) if len(slug) <= 64 else None
    if account is None:
        return render_notice(
            request,
            title=N_("Account not found"),
            message=N_("There is no brand account at this address."),
            status_code=404,
        )
    entries = entries_for_page(runtime, db, signin, [account])
    return render(
        request,
        "brand.html",
        {
            "account": account,
            "entry": entries.get(account.id),
            "notes": notes_of_account(db, account.id),
            "here": _here(request),
        },
    )


@router.get("/search", response_class=HTMLResponse, openapi_extra=openapi_docs.SEARCH)
def search_page(
    request: Request, db: ReadDbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    query = (request.query_params.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    context: dict[str, object] = {"q": query, "tab": "search", "here": _here(request)}
    if not query:
        context.update(accounts=[], entries={}, notes=[], searched=False)
        context["suggestions"] = [account.name_en for account in list_accounts(db)[:6]]
        return render(request, "search.html", context)
    terms = terms_of(query)
    hits = search(db, query)
    accounts = rank_accounts(list(accounts_by_id(db, hits.account_ids).values()), terms)
    if accounts and names_exactly(accounts[0], terms):
        hits = search_brand(db, query, [*accounts[0].aliases, accounts[0].name_zh])
    context.update(
        accounts=accounts,
        entries=entries_for_page(runtime, db, signin, accounts),
        notes=notes_by_ids(db, hits.note_ids),
        searched=True,
    )
    return render(request, "search.html", context)
