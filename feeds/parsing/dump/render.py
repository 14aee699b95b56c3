"""Plain-text paragraphs of a dump as an HTML fragment, bare URLs made links."""

from __future__ import annotations

import html

from feeds.parsing.dump.lines import URL, URL_TAIL


def paragraph_links(paragraphs: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The distinct URLs written in the paragraphs, in order."""
    found: list[str] = []
    for para in paragraphs:
        for match in URL.finditer(para):
            url = match.group().rstrip(URL_TAIL)
            if url not in found:
                found.append(url)
    return tuple(found)


def paragraphs_html(paragraphs: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"<p>{_linkify(para)}</p>" for para in paragraphs)


def _linkify(para: str) -> str:
    out: list[str] = []
    pos = 0
    for match in URL.finditer(para):
        url = match.group().rstrip(URL_TAIL)
        out.append(html.escape(para[pos : match.start()]))
        href = html.escape(url)
        out.append(f'<a href="{href}">{href}</a>')
        pos = match.start() + len(url)
    out.append(html.escape(para[pos:]))
    return "".join(out)
