"""feeds: press releases from text dumps, live pages and upstream feeds, published as
Atom, RSS and JSON feeds."""

__version__ = "0.1.0"
