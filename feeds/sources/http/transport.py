"""Connecting only to checked addresses, within the attempt's deadline.

httpx resolves names inside httpcore's network backend, after any check the retriever
makes, which leaves a window for DNS rebinding.  So the default transport is an httpcore
pool with a network backend of our own: it connects only to the addresses the
current attempt checked (handed over in a context variable, as httpcore's sync
backend runs in the calling thread), and bounds every socket operation by the
attempt's deadline.  httpcore still names the origin's host in the Host header and
as TLS server_hostname, so SNI and the certificate check stay on the host name.
(Rewriting the URL to an address with an ``sni_hostname`` extension would let
httpcore's pool share one TLS connection between two hosts on one address.)
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx


@dataclass(frozen=True)
class Attempt:
    """What the retriever checked for one attempt, handed to the network backend."""

    host: str
    port: int
    addresses: tuple[str, ...]
    #: ``time.monotonic()`` by which the attempt must be over.
    deadline: float


_ATTEMPT: ContextVar[Attempt | None] = ContextVar("feeds_http_attempt", default=None)


@contextlib.contextmanager
def pinned_to(attempt: Attempt) -> Iterator[None]:
    """Connections opened inside go to ``attempt``'s addresses, within its deadline."""
    token = _ATTEMPT.set(attempt)
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def _within(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the current attempt."""
    attempt = _ATTEMPT.get()
    if attempt is None:
        return timeout
    left = attempt.deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt's time is up")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        within = _within(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, within))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        attempt = _ATTEMPT.get()
        if attempt is None or (attempt.host, attempt.port) != (host, port):
            raise httpcore.ConnectError(f"no checked address for {host}:{port}")
        failure: httpcore.ConnectError | None = None
        for address in attempt.addresses:
            try:
                stream = self._system.connect_tcp(
                    address,
                    port,
                    timeout=_within(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        raise failure or httpcore.ConnectError(f"no address for {host}")


_CORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones every transport raises."""
    try:
        yield
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        mapped = next(ours for theirs, ours in _CORE_ERRORS if isinstance(exc, theirs))
        raise mapped(str(exc)) from exc


class _AnswerStream(httpx.SyncByteStream):
    def __init__(self, answer: httpcore.Response) -> None:
        self._answer = answer

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._answer.iter_stream()

    def close(self) -> None:
        self._answer.close()


class PinnedTransport(httpx.BaseTransport):
    """httpx's default transport with :class:`_PinnedBackend` under it (httpx's own
    cannot be given a network backend).

    Plain and TLS connections are pooled apart, and the TLS pool (with httpx's context:
    its certificate store, loading which is most of what a client costs to make) is
    made for the first https URL: a run that asks one plain-http server for one
    unchanged page does not pay for it."""

    def __init__(self) -> None:
        self._plain = httpcore.ConnectionPool(network_backend=_PinnedBackend())
        self._secure: httpcore.ConnectionPool | None = None

    def _pool(self, scheme: bytes) -> httpcore.ConnectionPool:
        if scheme != b"https":
            return self._plain
        if self._secure is None:
            self._secure = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(), network_backend=_PinnedBackend()
            )
        return self._secure

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            answer = self._pool(url.raw_scheme).handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_AnswerStream(answer),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._plain.close()
        if self._secure is not None:
            self._secure.close()
