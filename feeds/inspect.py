"""``feeds fetch URL``: how the site profile reads one page, for profile authors."""

from __future__ import annotations

from feeds.config import Config
from feeds.errors import FeedsError
from feeds.model import DocumentKind, Retrieved
from feeds.parsing import parse_document
from feeds.parsing.html import parse_listing
from feeds.profile import profile_for
from feeds.sources.base import http_settings
from feeds.sources.http import HttpRetriever


def describe_page(config: Config, url: str) -> str:
    """What the profile finds on one page: as an article, and as a listing."""
    profile = profile_for(config)
    with HttpRetriever(http_settings(config, url)) as http:
        fetched = http.fetch(url)
    lines = [f"url:        {fetched.final_url}", f"charset:    {fetched.encoding}"]
    document = Retrieved(
        kind=DocumentKind.ARTICLE,
        locator=url,
        body=fetched.content,
        url=fetched.final_url,
        content_type=fetched.content_type,
    )
    try:
        parsed = parse_document(document, profile)
    except FeedsError as exc:
        lines.append(f"article:    none ({exc})")
    else:
        article = parsed.article
        if article is not None:
            lines += [
                f"title:      {article.title}",
                f"date:       {article.date or '-'}",
                f"canonical:  {article.url}",
                f"section:    {article.section or '-'}",
                f"language:   {article.language or '-'}",
                f"lead:       {article.lead[:200]}",
                f"paragraphs: {len(article.paragraphs)}",
                f"images:     {', '.join(a.url or a.name for a in article.images) or '-'}",
                f"attachments: {', '.join(a.url or a.name for a in article.attachments) or '-'}",
            ]
        lines += [f"warning:    {w}" for w in parsed.warnings]
    page = parse_listing(fetched.text, url=fetched.final_url, rules=profile.html)
    lines.append(
        f"listing:    {len(page.items)} items{' (generic extractor)' if page.used_fallback else ''}"
    )
    for item in page.items[:20]:
        lines.append(f"  {item.date or '----------'}  {item.title}  <{item.url}>")
    return "\n".join(lines) + "\n"
