"""Benchmark: ``feeds serve`` against nginx on the same output folder, measured with wrk.

    python bench/serve_bench.py --root output
    python bench/serve_bench.py --root output --json serve.json --seconds 5 --rounds 3

Both servers listen on 127.0.0.1 only: ``feeds serve`` started as
``python -m feeds serve -c CONFIG --port P`` with a temporary config whose ``output``
is ``--root``, and nginx (Debian's package) as an unprivileged instance with its own
temporary config, set up like the server block in docs/serving.md.  nginx and wrk are
installed with apt-get when missing.

Scenarios, each run for both servers in turn, ``--rounds`` times (the median is
reported, since other work on the machine makes single runs noisy):

- ``not_modified``: conditional GETs (If-None-Match with the server's own tag) -> 304;
- ``gzip``: GETs with ``Accept-Encoding: gzip`` -> 200 with a gzip body;
- ``concurrent``: 50 keep-alive connections of gzip GETs: req/s and latency p50/p99/max.

Each round also takes the CPU time the server's processes used (from /proc) and divides
it by the requests answered: the cost of a response to the server.  wrk runs on the same
machine, so the rate also depends on how fast the client reads.

Results go to stdout as a table, and to ``--json`` when given, with the machine's load
average before and after: other work on the machine moves the figures a lot.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
#: feeds serve remembers a file's validators once the file is this old (RACY_SECONDS).
SETTLE_SECONDS = 2.5

FEEDS_CONFIG = """\
site: {{title: Bench, url: "https://example.org/", public_url: "http://{host}:{port}/"}}
output: {output}
state: {state}
sections: [{{id: news, title: News, default: true}}]
sources: [{{name: dumps, type: dump, paths: ["dumps/*.txt"]}}]
"""

NGINX_CONFIG = """\
{user}
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    # Like feeds serve, never close a busy keep-alive connection after N requests.
    keepalive_requests 100000000;
    server {{
        listen {host}:{port};
        root {root};
        index index.html;
        autoindex off;
        charset utf-8;
        charset_types text/plain text/css text/x-opml application/xml
                      application/atom+xml application/rss+xml application/feed+json;
        etag on;
        gzip on;
        gzip_vary on;
        gzip_comp_level 6;
        gzip_min_length 256;
        gzip_types application/atom+xml application/rss+xml application/feed+json
                   application/json application/xml text/x-opml text/css image/svg+xml;
        add_header X-Content-Type-Options nosniff always;
        add_header Cache-Control "public, max-age=300";
        location ~ (^|/)\\.|\\.tmp$|~$ {{ return 404; }}
        location ~ /atom\\.xml$ {{
            types {{ }}
            default_type application/atom+xml;
            add_header Cache-Control "public, max-age=300";
            add_header X-Content-Type-Options nosniff always;
        }}
    }}
}}
"""

# wrk reports through this script: one JSON line at the end of a run.
WRK_REPORT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'REPORT {"requests": %d, "duration_us": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"bad_status": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout,
    e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    connections: int
    gzip: bool
    conditional: bool


SCENARIOS = [
    Scenario("not_modified", "conditional GET -> 304, 10 conns", 10, False, True),
    Scenario("gzip", "gzip GET -> 200, 10 conns", 10, True, False),
    Scenario("concurrent", "gzip GET -> 200, 50 conns", 50, True, False),
]


@dataclass(frozen=True)
class Run:
    requests_per_second: float
    #: CPU time of the server's processes (user + system) per request answered: what a
    #: response costs the server, whatever the client on the same machine manages.
    server_cpu_us: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    socket_errors: int
    timeouts: int
    bad_status: int


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    #: The server's own tags for the path (identity and gzip); nginx's differ from feeds'.
    etag: str = ""


# --- tools ------------------------------------------------------------------------------


def ensure_tool(command: str, package: str) -> str:
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if found:
        return found
    print(f"{command} is missing: apt-get install {package}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if not found:
        sys.exit(f"{command}: still not found after installing {package}")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(server: Server, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with socket.create_connection((HOST, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{server.name} did not start:\n{server.log.read_text(errors='replace')}")


def start_feeds(root: Path, work: Path) -> Server:
    port = free_port()
    config = work / "feeds.yaml"
    config.write_text(
        FEEDS_CONFIG.format(
            host=HOST,
            port=port,
            output=json.dumps(str(root)),
            state=json.dumps(str(work / "state.sqlite")),
        ),
        encoding="utf-8",
    )
    log = work / "feeds.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "feeds", "serve", "-c", str(config), "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, cwd=work, env=env)
    server = Server("feeds", port, process, log)
    wait_for_port(server)
    return server


def start_nginx(nginx: str, root: Path, work: Path) -> Server:
    port = free_port()
    folder = work / "nginx"
    folder.mkdir()
    config = folder / "nginx.conf"
    # As root, nginx would hand its workers to "nobody", who may not read the folder.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(
        NGINX_CONFIG.format(user=user, tmp=folder, host=HOST, port=port, root=root),
        encoding="utf-8",
    )
    log = folder / "stderr.log"
    command = [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    server = Server("nginx", port, process, log)
    wait_for_port(server)
    return server


def stop(server: Server) -> None:
    if server.process.poll() is None:
        # SIGTERM, not SIGINT: a shell's background job starts with SIGINT ignored.
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


# --- checks and measurements ---------------------------------------------------------------


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def check(server: Server, path: str) -> None:
    """The requests the scenarios send get the answers they are meant to measure."""
    status, headers, _ = fetch(server.port, path, {})
    if status != 200 or "etag" not in headers:
        sys.exit(f"{server.name}: GET {path} gave {status} without an ETag")
    server.etag = headers["etag"]
    status, headers, _ = fetch(server.port, path, {"If-None-Match": server.etag})
    if status != 304:
        sys.exit(f"{server.name}: conditional GET {path} gave {status}, not 304")
    status, headers, _ = fetch(server.port, path, {"Accept-Encoding": "gzip"})
    if status != 200 or headers.get("content-encoding") != "gzip":
        sys.exit(f"{server.name}: GET {path} with gzip gave {status} without gzip")


def wrk_run(
    wrk: str, script: Path, server: Server, path: str, scenario: Scenario, seconds: int
) -> Run:
    headers = []
    if scenario.gzip:
        headers += ["-H", "Accept-Encoding: gzip"]
    if scenario.conditional:
        headers += ["-H", f"If-None-Match: {server.etag}"]
    command = [
        wrk,
        "-t1",
        f"-c{scenario.connections}",
        f"-d{seconds}s",
        "--timeout",
        "2s",
        "-s",
        str(script),
        *headers,
        f"http://{HOST}:{server.port}{path}",
    ]
    cpu_before = tree_cpu_seconds(server.process.pid)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    cpu_used = tree_cpu_seconds(server.process.pid) - cpu_before
    if result.returncode != 0:
        sys.exit(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("REPORT ")), None)
    if line is None:
        sys.exit(f"wrk printed no report:\n{result.stdout}{result.stderr}")
    report: dict[str, int] = json.loads(line.removeprefix("REPORT "))
    return Run(
        requests_per_second=report["requests"] / (report["duration_us"] / 1e6),
        server_cpu_us=cpu_used * 1e6 / max(report["requests"], 1),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
        requests=report["requests"],
        socket_errors=report["socket_errors"],
        timeouts=report["timeouts"],
        bad_status=report["bad_status"],
    )


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (nginx's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name may hold spaces: the fields start after its closing ")".
        fields = text[text.rindex(")") + 2 :].split()
        process, parent = int(stat.parent.name), int(fields[1])
        if process == pid or parent == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def median_run(runs: list[Run]) -> dict[str, Any]:
    """Medians of the rounds, but the worst max latency and all errors added up."""
    return {
        "requests_per_second": round(statistics.median(r.requests_per_second for r in runs)),
        "server_cpu_us": round(statistics.median(r.server_cpu_us for r in runs), 1),
        "p50_ms": round(statistics.median(r.p50_ms for r in runs), 3),
        "p99_ms": round(statistics.median(r.p99_ms for r in runs), 3),
        "max_ms": round(max(r.max_ms for r in runs), 3),
        "requests": sum(r.requests for r in runs),
        "socket_errors": sum(r.socket_errors for r in runs),
        "timeouts": sum(r.timeouts for r in runs),
        "bad_status": sum(r.bad_status for r in runs),
        "rounds": [asdict(r) for r in runs],
    }


def pick_path(root: Path) -> str:
    # The largest feed: the one with the most entries is the one most readers poll.
    feeds = sorted(root.glob("*/atom.xml"), key=lambda feed: (-feed.stat().st_size, feed))
    target = feeds[0] if feeds else root / "index.html"
    if not target.is_file():
        sys.exit(f"{root}: no */atom.xml or index.html to request; pass --path")
    return "/" + target.relative_to(root).as_posix()


def wait_until_settled(file: Path) -> None:
    """feeds serve reads a just-changed file on every request; measure the usual case."""
    info = file.stat()
    age = time.time() - max(info.st_mtime, info.st_ctime)
    if age < SETTLE_SECONDS:
        time.sleep(SETTLE_SECONDS - age)


def version_of(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (result.stdout + result.stderr).strip().splitlines()
    return text[0] if text else "?"


def print_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print()
    print(f"{'scenario':<36} {'feeds req/s':>12} {'nginx req/s':>12} {'feeds/nginx':>12}")
    for scenario in SCENARIOS:
        ours = results["feeds"][scenario.name]["requests_per_second"]
        theirs = results["nginx"][scenario.name]["requests_per_second"]
        ratio = ours / theirs if theirs else float("nan")
        print(f"{scenario.title:<36} {ours:>12,} {theirs:>12,} {ratio:>12.2f}")
    print()
    print(f"{'latency, 50 conns (ms)':<36} {'p50':>8} {'p99':>8} {'max':>8} {'timeouts':>9}")
    for name in ("feeds", "nginx"):
        run = results[name]["concurrent"]
        print(
            f"{name:<36} {run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} {run['max_ms']:>8.2f}"
            f" {run['timeouts']:>9}"
        )
    gz = results["feeds"]["gzip"]["server_cpu_us"]
    not_modified = results["feeds"]["not_modified"]["server_cpu_us"]
    print(
        f"\nfeeds: server CPU per request {not_modified:.1f} us for a 304, {gz:.1f} us for a "
        f"gzip 200 ({gz / not_modified:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="output folder to serve")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--path", help="URL path to request (default: the largest */atom.xml)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each scenario")
    args = parser.parse_args()
    root = args.root.resolve()
    if not root.is_dir():
        sys.exit(f"{root}: not a folder")
    path = args.path or pick_path(root)
    wrk = ensure_tool("wrk", "wrk")
    nginx = ensure_tool("nginx", "nginx")
    wait_until_settled(root / path.lstrip("/"))
    load_before = round(os.getloadavg()[0], 2)

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as folder:
        work = Path(folder)
        script = work / "report.lua"
        script.write_text(WRK_REPORT, encoding="utf-8")
        servers: list[Server] = []
        try:
            servers.append(start_feeds(root, work))
            servers.append(start_nginx(nginx, root, work))
            for server in servers:
                check(server, path)
            runs: dict[tuple[str, str], list[Run]] = {}
            for round_ in range(args.rounds):
                for scenario in SCENARIOS:
                    # Alternate the servers so that background load hits both alike.
                    for server in servers if round_ % 2 == 0 else servers[::-1]:
                        run = wrk_run(wrk, script, server, path, scenario, args.seconds)
                        runs.setdefault((server.name, scenario.name), []).append(run)
                        print(
                            f"round {round_ + 1} {server.name:<5} {scenario.name:<12}"
                            f" {run.requests_per_second:>10,.0f} req/s"
                            f"  {run.server_cpu_us:.1f} us CPU/req"
                            f"  p99 {run.p99_ms:.2f} ms  max {run.max_ms:.2f} ms",
                            flush=True,
                        )
        finally:
            for server in servers:
                stop(server)

    results = {
        server: {s.name: median_run(runs[(server, s.name)]) for s in SCENARIOS}
        for server in ("feeds", "nginx")
    }
    print_table(results)
    print(f"load average (1 min): {load_before} before, {os.getloadavg()[0]:.2f} after")
    if args.json:
        document = {
            "root": str(root),
            "path": path,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                # Other work on the machine skews the figures: the 1-minute load, before/after.
                "load_before": load_before,
                "load_after": round(os.getloadavg()[0], 2),
            },
            "nginx": version_of([nginx, "-v"]),
            "wrk": version_of([wrk, "-v"]),
            "scenarios": {s.name: s.title for s in SCENARIOS},
            "results": results,
            "feeds_over_nginx": {
                s.name: round(
                    results["feeds"][s.name]["requests_per_second"]
                    / results["nginx"][s.name]["requests_per_second"],
                    3,
                )
                for s in SCENARIOS
            },
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
