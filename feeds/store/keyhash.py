"""Short fixed-size stand-ins for long match keys, for SQLite's indexes.

A lead key averages some 250 characters and a whole-text key some 1,400: an index of the
texts themselves holds two or three keys per page, so it is deep, slow to search and slow
to extend, and it was a fifth of the state file.  An index of 64-bit hashes of them is
small and shallow.  A lookup by hash also compares the texts themselves, so a collision
costs one row read, never a wrong match.

The hash is stored: it must never change for a given text.
"""

from __future__ import annotations

import hashlib


def key_hash(key: str | None) -> int | None:
    """The signed 64-bit BLAKE2b hash of ``key``'s UTF-8; None for no key (never looked up)."""
    if not key:
        return None
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
