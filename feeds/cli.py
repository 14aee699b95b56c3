"""The ``feeds`` command line: one small function per command, the work lives elsewhere.

Exit codes (every command): 0 success, warnings allowed; 1 a source, file or page
failed or drifted while everything else was done; 2 bad config or usage; 3 another
refresh holds the lock.  In a terminal commands show progress and a summary; with
``--quiet`` or without a terminal they print nothing on success and one line per
problem on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from feeds import __version__
from feeds.config import Config, load_config
from feeds.errors import DEBUG_VARIABLE, ConfigError, FeedsError, LockHeldError, bug_reason
from feeds.model import DateOrigin, Release
from feeds.text.clean import clean_text, one_line

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
DEFAULT_CONFIG = "sources.yaml"


class Console:
    """Where output goes: chatty in a terminal, one line per problem under cron."""

    def __init__(self, quiet: bool, err: TextIO | None = None, out: TextIO | None = None) -> None:
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.interactive = not quiet and self.err.isatty()

    def progress(self, line: str) -> None:
        if self.interactive:
            self.err.write(f"\r\033[K{line[:110]}")
            self.err.flush()

    def end_progress(self) -> None:
        if self.interactive:
            self.err.write("\r\033[K")
            self.err.flush()

    # Lines name files, URLs and titles read from elsewhere: each is printed cleaned, so
    # nothing in them reaches the terminal as a control sequence.

    def info(self, line: str) -> None:
        if self.interactive:
            self.out.write(one_line(line) + "\n")

    def problem(self, line: str) -> None:
        self.err.write(one_line(line) + "\n")

    def warning(self, line: str) -> None:
        if self.interactive:
            self.err.write(f"warning: {one_line(line)}\n")


def _config(args: argparse.Namespace) -> Config:
    return load_config(Path(args.config))


# --- commands ---------------------------------------------------------------------------


def cmd_refresh(args: argparse.Namespace, console: Console) -> int:
    from feeds.refresh import refresh

    config = _config(args)
    if args.only and args.only not in {s.name for s in config.sources}:
        names = ", ".join(s.name for s in config.sources)
        raise ConfigError([f"{args.config}: --only {args.only}: no such source (sources: {names})"])
    report = refresh(config, only=args.only, full=args.full, progress=console.progress)
    console.end_progress()
    for warning in report.warnings:
        console.warning(warning)
    for problem in report.problems:
        console.problem(problem)
    for source in report.sources:
        status = source.health.status if source.health else "?"
        requests = f", {source.requests} requests" if source.requests else ""
        console.info(
            f"{source.name}: {source.new} new, {source.changed} updated, "
            f"{source.seen} seen{requests} [{status}]"
        )
    written = len(report.publish.written)
    console.info(
        f"published {written} changed file(s) to {config.output}"
        if written
        else f"nothing changed in {config.output}"
    )
    return report.exit_code


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from feeds.profile import profile_for

    config = _config(args)
    profile_for(config)
    console.info(
        f"{args.config}: OK ({len(config.sections)} sections, {len(config.sources)} sources)"
    )
    return EXIT_OK


def cmd_publish(args: argparse.Namespace, console: Console) -> int:
    from feeds.refresh import locked_state, publish_state

    config = _config(args)
    with locked_state(config, must_exist=True) as store:
        report = publish_state(config, store, full=True)
    for failure in report.failures:
        console.problem(str(failure))
    console.info(f"published {len(report.written)} changed file(s) to {config.output}")
    return EXIT_PROBLEMS if report.failures else EXIT_OK


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    from feeds.serve import ServeSettings, make_server, run

    config = _config(args)
    settings = ServeSettings(root=config.output, host=args.host, port=args.port)
    # Bound first: a busy or invalid port is reported before anything says "serving".
    server = make_server(settings, log=console.info if console.interactive else None)
    console.err.write(f"serving {config.output} on {server.url}\n")
    run(server)
    return EXIT_OK


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    from feeds.refresh import open_state
    from feeds.sections import feed_ids

    config = _config(args)
    if args.section and args.section not in feed_ids(config.sections):
        raise ConfigError([f"--section {args.section}: no such section"])
    with open_state(config, must_exist=True) as store:
        entries = store.releases.entries(include_hidden=True)
    for entry in entries:
        if args.section not in (None, "all") and args.section not in entry.feeds:
            continue
        day = entry.published.date().isoformat()
        if not entry.date_known:
            # "~" marks an estimate; with no evidence at all, the date of first sighting.
            day = "undated" if entry.release.date is None else f"~{day}"
        flag = " [hidden]" if entry.hidden else ""
        fields = (entry.id, day, entry.section, entry.release.title + flag)
        console.out.write("\t".join(map(one_line, fields)) + "\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    from feeds.refresh import open_state

    config = _config(args)
    with open_state(config, must_exist=True) as store:
        entry = store.releases.entry(args.id)
    if entry is None:
        console.problem(f"{args.id}: no such entry (see `feeds list`)")
        return EXIT_PROBLEMS
    r = entry.release
    title = r.title + (" (derived from the text)" if r.title_derived else "")
    lines = [
        ("id", entry.id),
        ("title", title),
        ("kind", r.kind.value),
        ("date", _date_line(r)),
        ("published", entry.published.isoformat()),
        ("updated", entry.updated.isoformat()),
        ("section", ", ".join((entry.section, *entry.extra_sections))),
        ("url", r.url or "-"),
        ("page", entry.page_path),
        ("language", r.language or "-"),
        ("hidden", "yes" if entry.hidden else "no"),
        ("lead", r.lead),
    ]
    out = console.out
    # Stored text is printed cleaned, whatever version of feeds stored it: nothing in it
    # may reach the terminal as a control sequence.
    for label, value in lines:
        out.write(f"{label + ':':<12}{one_line(value)}\n")
    out.write("sightings:\n")
    for s in entry.sightings:
        fields = (s.source, s.kind.value, s.locator, f"first {s.first_seen.isoformat()}")
        out.write("  " + "\t".join(map(one_line, fields)) + f"\tlast {s.last_seen.isoformat()}\n")
    return EXIT_OK


#: What each kind of evidence behind an estimated date is, as `feeds show` says it.
_EVIDENCE = {
    DateOrigin.LEAD: "a date phrase opening its text",
    DateOrigin.MENTION: "a date its text names",
    DateOrigin.NEIGHBOURS: "its place between dated neighbours",
    DateOrigin.HOST_PAGE: "the date of the page whose sidebar shows it",
}


def _date_line(release: Release) -> str:
    if release.date is None:
        return "none (dated by first sighting) [none]"
    if release.date_origin.own:
        return f"{release.date.isoformat()} [{release.date_origin.value}]"
    evidence = _EVIDENCE.get(release.date_origin, release.date_origin.value)
    return f"{release.date.isoformat()} estimated from {evidence} [{release.date_origin.value}]"


def _set_hidden(args: argparse.Namespace, console: Console, hidden: bool) -> int:
    from feeds.refresh import locked_state, publish_state

    config = _config(args)
    with locked_state(config, must_exist=True) as store:
        with store.transaction():
            found = store.releases.set_hidden(args.id, hidden)
        if not found:
            console.problem(f"{args.id}: no such entry (see `feeds list`)")
            return EXIT_PROBLEMS
        report = publish_state(config, store)
    console.info(f"{args.id}: {'hidden' if hidden else 'visible again'}")
    for failure in report.failures:
        console.problem(str(failure))
    return EXIT_PROBLEMS if report.failures else EXIT_OK


def cmd_hide(args: argparse.Namespace, console: Console) -> int:
    return _set_hidden(args, console, True)


def cmd_unhide(args: argparse.Namespace, console: Console) -> int:
    return _set_hidden(args, console, False)


def cmd_fetch(args: argparse.Namespace, console: Console) -> int:
    from feeds.inspect import describe_page

    config = _config(args)
    # What a page says is printed cleaned: nothing in it reaches the terminal as a control.
    console.out.write(clean_text(describe_page(config, args.url)))
    return EXIT_OK


# --- parser -----------------------------------------------------------------------------

Command = Callable[[argparse.Namespace, Console], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feeds",
        description="Turn press releases (text dumps, live pages, upstream feeds) into "
        "Atom, RSS and JSON feeds.",
    )
    parser.add_argument("--version", action="version", version=f"feeds {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "-c",
            "--config",
            default=DEFAULT_CONFIG,
            metavar="PATH",
            help=f"config file (default: ./{DEFAULT_CONFIG})",
        )
        sub.set_defaults(func=func)
        return sub

    sub = command("refresh", cmd_refresh, "read sources, update state, publish changed files")
    sub.add_argument("--only", metavar="NAME", help="refresh only the source with this name")
    sub.add_argument(
        "--full",
        action="store_true",
        help="html sources read every listing page, not only up to the first known one",
    )
    sub.add_argument("--quiet", action="store_true", help="print only problems (for cron)")
    command("validate", cmd_validate, "check a config file and list every problem")
    sub = command("publish", cmd_publish, "rebuild all output from state alone (no source is read)")
    sub.add_argument("--quiet", action="store_true", help="print only problems")
    sub = command("serve", cmd_serve, "serve the output folder over HTTP")
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    sub.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    sub = command("list", cmd_list, "list stored releases: id, date, section, title")
    sub.add_argument("--section", metavar="S", help="only releases of this section")
    sub = command("show", cmd_show, "show one stored release and the sightings behind it")
    sub.add_argument("id", metavar="ID", help="entry id (see `feeds list`)")
    sub = command("hide", cmd_hide, "retract a release from every feed (survives refreshes)")
    sub.add_argument("id", metavar="ID", help="entry id (see `feeds list`)")
    sub = command("unhide", cmd_unhide, "bring back a release retracted with `feeds hide`")
    sub.add_argument("id", metavar="ID", help="entry id (see `feeds list`)")
    sub = command("fetch", cmd_fetch, "show how the site profile parses one page")
    sub.add_argument("url", metavar="URL", help="an article or listing page URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(quiet=getattr(args, "quiet", False))
    func: Command = args.func
    try:
        code = func(args, console)
        # Written out here, so a reader that went away is noticed while it can be handled.
        console.out.flush()
        return code
    except ConfigError as exc:
        console.end_progress()
        for problem in exc.problems:
            console.problem(problem)
        return EXIT_USAGE
    except LockHeldError as exc:
        console.end_progress()
        console.problem(str(exc))
        return EXIT_LOCKED
    except FeedsError as exc:
        console.end_progress()
        console.problem(str(exc))
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        console.end_progress()
        console.problem("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`feeds list | head`): nothing left to say, nowhere to say it.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        console.end_progress()
        where = f"feeds {args.command} -c {args.config}"
        console.problem(f"{where}: {bug_reason('unexpected error', exc)}")
        return EXIT_PROBLEMS


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
