"""Retrieve: sources fetch or read documents and hand them on, untouched.

A source never parses an article and never writes state.  What it needs to know about the
past (files already read, HTTP validators, listing items already fetched) comes in through
the narrow :class:`~feeds.sources.base.Recall` protocol; what it learnt comes back in its
:class:`~feeds.sources.base.Retrieval`, to be remembered once the documents are stored.

May import ``feeds.model``, ``feeds.errors``, ``feeds.config``, ``feeds.text`` and, to
follow listing pages, ``feeds.parsing``; never ``feeds.store``, ingest or publish.
"""
