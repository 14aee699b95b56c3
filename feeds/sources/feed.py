"""``type: feed`` sources: an existing RSS or Atom feed, by URL or as a file."""

from __future__ import annotations

from feeds.config import Config, FeedSourceConfig
from feeds.model import DocumentKind, Retrieved
from feeds.sources.base import Recall, Retrieval
from feeds.sources.crawl import fetch_whole
from feeds.sources.files import read_capped
from feeds.sources.http import HttpRetriever, Validators


def read_feed(
    source: FeedSourceConfig, config: Config, http: HttpRetriever | None, recall: Recall
) -> Retrieval:
    run = Retrieval()
    if source.path is not None:
        path = config.resolve(source.path)
        data = read_capped(path, config.http.max_bytes)
        run.documents.append(
            Retrieved(kind=DocumentKind.FEED, locator=str(path), body=data, key=str(path))
        )
        return run
    assert source.url is not None and http is not None
    fetched = fetch_whole(http, source.url, Validators(*recall.validators(source.url)))
    run.requests += 1
    if fetched.not_modified:
        # Nothing new; the item count stays what the last healthy run saw.
        run.items = recall.usual_items(source.name)
        return run
    run.validators[source.url] = (fetched.validators.etag, fetched.validators.last_modified)
    run.documents.append(
        Retrieved(
            kind=DocumentKind.FEED,
            locator=source.url,
            body=fetched.content,
            key=source.url,
            url=fetched.final_url,
            content_type=fetched.content_type,
        )
    )
    return run
