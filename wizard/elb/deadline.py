"""An overall deadline for each API call: connect, send and read together.

The SDK's timeouts (requests' `(connect, read)`) bound each socket operation, so a peer that
trickles one byte every half second never trips them. Here each call runs in a worker thread
while the caller waits for it at most `total` seconds; then a watchdog shuts the call's
sockets down (which ends the blocked read in the worker with an error) and the caller
reports which part ran out of time. The connections come from our own urllib3 connection
classes, mounted on the SDK's requests session, so the watchdog knows the sockets and the
phase (connecting, sending the request, waiting for the answer, reading it).

A connect, or a name lookup, that outlasts the deadline cannot be interrupted from another
thread; the worker is then left to end on its own (it is a daemon, and the connect timeout
bounds it) and the caller stops waiting anyway.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from wizard.elb.failures import CONNECT, READ, SEND, WAIT

T = TypeVar("T")
GRACE = 1.0  # seconds the caller still waits for the worker once its sockets are shut


class CallWatch:
    """What one API call is doing on the wire; `expire()` ends it from another thread."""

    def __init__(self) -> None:
        self.phase = CONNECT
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def enter(self, phase: str, sock: socket.socket | None = None) -> None:
        with self._lock:
            self.phase = phase
            if sock is not None and sock not in self._sockets:
                self._sockets.append(sock)
            expired = self.expired
        if expired and sock is not None:  # a connection made after the deadline ends at once
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: it unblocks a read in another thread
    # without touching the TLS object that thread is using.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()  # the watch of the call running in this thread


def _watch() -> CallWatch | None:
    return getattr(_current, "watch", None)


class _Watched:
    """Reports its phase and its socket to the watch of the call running in this thread."""

    sock: socket.socket | None

    def connect(self) -> None:
        watch = _watch()
        if watch is not None:
            watch.enter(CONNECT)
        super().connect()  # type: ignore[misc]
        if watch is not None:
            watch.enter(SEND, self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = _watch()
        if watch is not None:
            watch.enter(SEND, self.sock)  # a kept-alive connection: its socket is known already
        super().request(*args, **kwargs)  # type: ignore[misc]
        if watch is not None:
            watch.enter(WAIT, self.sock)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        response = super().getresponse(*args, **kwargs)  # type: ignore[misc]
        watch = _watch()
        if watch is not None:
            watch.enter(READ)  # the status line and headers are in; the body follows
        return response


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, its pools (also through an HTTP(S) proxy) making watched connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme") and not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS  # a SOCKS proxy keeps its own (unwatched) pools
        return manager


def watch_session(session: Any, pool_size: int = 10) -> None:
    """Mount the watched adapter on a requests session (the SDK's) for http and https, without
    retries (a retried POST could upload a certificate twice)."""
    adapter = WatchedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


class DeadlineExceeded(Exception):
    """The call did not end within its deadline; `phase` says where it stood."""

    def __init__(self, phase: str) -> None:
        super().__init__(phase)
        self.phase = phase


def run_bounded(call: Callable[[], T], total: float) -> tuple[T, CallWatch]:
    """Run `call` in a worker thread for at most `total` seconds; its result and its watch.

    Raises what the call raised (the watch is on the exception as `call_watch`), or
    DeadlineExceeded once the deadline passed and the call did not succeed meanwhile."""
    watch = CallWatch()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        _current.watch = watch
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as it is
            outcome["error"] = error
        finally:
            _current.watch = None
            done.set()

    threading.Thread(target=work, name="elb-api-call", daemon=True).start()
    if not done.wait(total):
        watch.expire()
        done.wait(GRACE)
        if "value" in outcome:  # it ended well just as the deadline passed
            return outcome["value"], watch
        raise DeadlineExceeded(watch.phase)
    if "error" in outcome:
        error = outcome["error"]
        error.call_watch = watch
        raise error
    return outcome["value"], watch
