"""A hostile API endpoint on 127.0.0.1: it takes connections and then misbehaves.

- "trickle": answers 200 with a long body and sends it one byte every half second;
- "silent": reads the request and never answers;
- "garbage": answers every request with 200 and a body that is not JSON (`{not json`).

It records every request it read (method, path and body) and whether a connection was cut by
the client. Plain sockets and threads, stopped (and every connection closed) on exit.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

MODES = ("trickle", "silent", "garbage")
TRICKLE_EVERY = 0.5


@dataclass
class HostilePeer:
    mode: str
    requests: list[bytes] = field(default_factory=list)
    cut: int = 0  # connections the client closed while we were still sending or waiting
    _stop: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _connections: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        assert self.mode in MODES, self.mode

    endpoint: str = ""  # http://127.0.0.1:PORT, once entered

    def __enter__(self) -> HostilePeer:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._listener.settimeout(0.1)
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._lock:
            for connection in self._connections:
                connection.close()
        for thread in list(self._threads):
            thread.join(timeout=5)
        assert self._listener is not None
        self._listener.close()

    def _spawn(self, target, *args) -> None:  # noqa: ANN001
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                connection, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._connections.append(connection)
            self._spawn(self._serve, connection)

    def _read_request(self, connection: socket.socket) -> bytes | None:
        data = b""
        connection.settimeout(0.2)
        while b"\r\n\r\n" not in data:
            chunk = self._recv(connection)
            if chunk is None:
                return None
            data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = self._recv(connection)
            if chunk is None:
                return None
            body += chunk
        with self._lock:
            self.requests.append(head + b"\r\n\r\n" + body)
        return head

    def _recv(self, connection: socket.socket) -> bytes | None:
        while not self._stop.is_set():
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            return chunk or None
        return None

    def _serve(self, connection: socket.socket) -> None:
        try:
            while not self._stop.is_set() and self._read_request(connection) is not None:
                if self.mode == "garbage":
                    body = b"{not json"
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                elif self.mode == "trickle":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
                    while not self._stop.wait(TRICKLE_EVERY):
                        connection.sendall(b" ")
                else:
                    while not self._stop.wait(0.1):
                        if _hung_up(connection):
                            raise ConnectionResetError
        except OSError:
            if not self._stop.is_set():
                with self._lock:
                    self.cut += 1


def _hung_up(connection: socket.socket) -> bool:
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
