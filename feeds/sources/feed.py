"""``type: feed`` sources: an existing RSS or Atom feed, by URL or as a file."""

from __future__ import annotations

from feeds.config import SourceConfig
from feeds.errors import InputError
from feeds.parsing.upstream import parse_feed
from feeds.sources.base import SourceContext, SourceRun
from feeds.sources.html import conditional_fetch, http_settings
from feeds.sources.http import HttpRetriever


class FeedSource:
    def run(self, source: SourceConfig, context: SourceContext) -> SourceRun:
        run = SourceRun()
        rules = context.profile.html
        if source.path is not None:
            locator = str(source.path)
            try:
                data = source.path.read_bytes()
            except OSError as exc:
                raise InputError(locator, f"cannot read feed file: {exc.strerror}") from None
            base_url = None
        else:
            assert source.url is not None
            locator = source.url
            with HttpRetriever(http_settings(context.config)) as http:
                fetched = conditional_fetch(http, context.store, source.url)
                run.requests += 1
            if fetched.not_modified:
                # Nothing new; the item count stays what the last healthy run saw (a
                # failed run in between recorded no items).
                healthy = [
                    h for h in context.store.health_history(source.name) if h["status"] == "ok"
                ]
                run.items = int(healthy[0]["items"]) if healthy else 0
                return run
            context.store.save_validators(
                source.url, fetched.validators.etag, fetched.validators.last_modified
            )
            data = fetched.content
            base_url = fetched.final_url
        document = parse_feed(
            data, locator=locator, base_url=base_url, language=source.language, rules=rules
        )
        run.documents.append(document)
        run.warnings.extend(document.warnings)
        run.items = run.parsed = len(document.others)
        run.with_date = sum(
            r.date is not None or r.published_at is not None for r in document.others
        )
        run.with_body = sum(bool(r.paragraphs or r.body_html) for r in document.others)
        return run
