"""Requests for the backend-kit tests: through the ELB-like front with a client's certificate, or
straight to the backend from a chosen loopback address (127.0.0.2 stands for the load balancer,
127.0.0.1 for anywhere else)."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass

from wizard.clients import client_files
from wizard.workspace import Workspace

TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def client_context(ws: Workspace, client: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ws.cert("ca")))
    files = client_files(ws, client)
    context.load_cert_chain(str(files.cert), str(files.key))
    return context


def front_connection(ws: Workspace, address: str, client: str) -> http.client.HTTPSConnection:
    """A keep-alive HTTPS connection to the front, presenting `client`'s certificate."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), timeout=TIMEOUT, context=client_context(ws, client))
    connection.connect()
    return connection


def ask(connection: http.client.HTTPConnection, path: str = "/", headers: dict[str, str] | None = None) -> Answer:
    connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
    response = connection.getresponse()
    return Answer(response.status, response.read().decode("utf-8", "replace"))


def through_front(ws: Workspace, address: str, client: str, path: str = "/", headers: dict[str, str] | None = None) -> Answer:
    connection = front_connection(ws, address, client)
    try:
        return ask(connection, path, headers)
    finally:
        connection.close()


def direct(address: str, source: str, path: str = "/", headers: dict[str, str] | None = None) -> Answer:
    """A plain HTTP request to the backend itself, from `source` (a loopback address)."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT, source_address=(source, 0))
    try:
        return ask(connection, path, headers)
    finally:
        connection.close()
