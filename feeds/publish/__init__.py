"""Publish: render the output folder from the state, and write only what changed.

:mod:`~feeds.publish.plan` says what a run touches (the state flags changed entries and
keeps each feed's members in order), :mod:`~feeds.publish.build` renders those files and
checks every feed document (:mod:`~feeds.publish.validate`) before
:mod:`~feeds.publish.writer` replaces the published one.  The formats: Atom and RSS
through feedgen (:mod:`~feeds.publish.syndication`), JSON Feed, HTML pages from jinja2
templates (:mod:`~feeds.publish.pages`), OPML.

May import ``feeds.model``, ``feeds.errors``, ``feeds.sections``, ``feeds.text`` and the
state's interface (``feeds.store.interface``); never sources, parsing or ingest.
"""
