"""The public side of the knowledge base: search and read published articles at /help/articles.

No sign-in needed, and nobody — staff included — sees a draft here: the pages ask the
services as an anonymous reader, so what a customer sees is exactly what this page shows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from servicedesk.services import knowledge as kb
from servicedesk.services import knowledge_index as search
from servicedesk.services import translations
from servicedesk.web.deps import MaybePrincipal, UowFactory
from servicedesk.web.i18n import locale_of
from servicedesk.web.pages.present import render_page

router = APIRouter(prefix="/help/articles")

RESULTS = 20
LATEST = 12
RELATED = 4
MIN_CONFIDENCE = 0.1  # below this a "match" shares a common word or two with the question


@router.get("")
async def search_page(
    request: Request,
    me: MaybePrincipal,
    uow: UowFactory,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    query = " ".join(q.split())
    async with uow(write=False) as u:
        if query:
            hits = await search.search_articles(u, None, query, k=RESULTS, min_confidence=MIN_CONFIDENCE)
            articles = [h.article for h in hits]
        else:
            page = await kb.list_articles(u, None, limit=LATEST)
            articles = [v.article for v in page.items]
        articles = await translations.in_reader_language(u, articles, locale_of(request))
    context = {"q": query, "articles": articles, "searched": bool(query)}
    return render_page(request, "help_articles.html", me, context)


@router.get("/{article_id}")
async def article_page(article_id: int, request: Request, me: MaybePrincipal, uow: UowFactory) -> Response:
    async with uow(write=False) as u:
        view = await kb.get_article(u, None, article_id)
        nearby = await search.search_articles(
            u, None, view.article.title, k=RELATED + 1, locale=view.article.locale, min_confidence=0.2
        )
    related = [h.article for h in nearby if h.article.id != article_id][:RELATED]
    others = [v for v in view.versions if v.id != article_id]  # published: an anonymous reader's
    context = {"article": view.article, "related": related, "other_versions": others}
    return render_page(request, "help_articles_item.html", me, context)
