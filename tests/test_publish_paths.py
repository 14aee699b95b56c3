"""Where published files go, and the links between them."""

from __future__ import annotations

import posixpath

from hypothesis import given
from hypothesis import strategies as st

from feeds.publish.paths import archive_page_path, relative_link, section_page_path

# Output paths: folders, then a file name (a file is never also a folder).
_FOLDERS = st.lists(
    st.sampled_from(["news", "all", "archive", "releases", "2024", "05"]), max_size=4
)
_FILE = st.sampled_from(["index.html", "atom.xml", "3.html", "council-meets.html"])
_PATH = st.builds(lambda folders, name: "/".join([*folders, name]), _FOLDERS, _FILE)


def test_links_between_pages() -> None:
    page = "releases/2024/05/council-meets.html"
    assert relative_link("index.html", page) == "../../../index.html"
    assert relative_link(section_page_path("news"), page) == "../../../news/index.html"
    assert relative_link("releases/2024/05/other.html", page) == "other.html"
    assert relative_link("releases/2024/06/next.html", page) == "../06/next.html"
    assert relative_link(archive_page_path("news", 3), archive_page_path("news", 4)) == "3.html"
    assert relative_link("news/atom.xml", "index.html") == "news/atom.xml"


@given(target=_PATH, page=_PATH)
def test_relative_link_is_what_relpath_gives(target: str, page: str) -> None:
    assert relative_link(target, page) == posixpath.relpath(target, posixpath.dirname(page) or ".")
