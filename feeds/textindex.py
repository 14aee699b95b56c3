"""An inverted index of word shingles, to find likely twins of a text quickly.

Comparing a new lead with every stored one by edit similarity costs O(stored) slow
comparisons per release.  Two texts that are the same release (equal, one a prefix of
the other, or lightly edited) share many of their word 4-grams, so the index returns
only the stored texts that share a good part of them; the exact similarity test then
runs on those few.
"""

from __future__ import annotations

from collections import Counter, defaultdict

#: Words per shingle.
SHINGLE_WORDS = 4
#: Only the opening words matter: a teaser is at most the lead's first part.
INDEXED_WORDS = 80
#: Share of the smaller shingle set two texts must have in common to be candidates.
#: A 0.9-similar edit changes at most ~10% of the words, and each changed word breaks at
#: most four shingles, so true twins keep well over this share.
MIN_SHARED = 0.25


def shingles(key: str) -> frozenset[tuple[str, ...]]:
    words = key.split()[:INDEXED_WORDS]
    if len(words) < SHINGLE_WORDS:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(
        tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    )


class ShingleIndex:
    """Maps item ids to the shingles of their text keys (an item may have several keys)."""

    def __init__(self) -> None:
        self._postings: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
        self._items: dict[str, frozenset[tuple[str, ...]]] = {}

    def put(self, item: str, *keys: str) -> None:
        """Index ``item`` under the union of its keys' shingles, replacing older keys."""
        self.remove(item)
        grams = frozenset().union(*(shingles(k) for k in keys if k))
        self._items[item] = grams
        for gram in grams:
            self._postings[gram].add(item)

    def remove(self, item: str) -> None:
        for gram in self._items.pop(item, frozenset()):
            holders = self._postings.get(gram)
            if holders is not None:
                holders.discard(item)
                if not holders:
                    del self._postings[gram]

    def candidates(self, key: str) -> list[str]:
        """Items sharing enough shingles with ``key``, most shared first."""
        grams = shingles(key)
        if not grams:
            return []
        shared: Counter[str] = Counter()
        for gram in grams:
            for item in self._postings.get(gram, ()):
                shared[item] += 1
        result = []
        for item, count in shared.most_common():
            smaller = min(len(grams), len(self._items[item])) or 1
            if count / smaller >= MIN_SHARED:
                result.append(item)
        return result
