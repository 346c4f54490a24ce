"""The listener the ELB stand-in holds, served for real on 127.0.0.1.

What a load balancer would do with its listener: present the server certificate the listener
refers to (ELB keeps its key: the stand-in stores it as uploaded) and require client
certificates from the CA certificate it refers to. It is the practice load balancer's serving side
(wizard.practice), started again on the same port whenever the stand-in changes the listener,
so the handshake test sees a move the moment ELB would apply it.
"""

from __future__ import annotations

from pathlib import Path

from support.fake_elb_api import FakeElbApi

from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace


class ServedListener:
    def __init__(self, api: FakeElbApi, listener_id: str, ws: Workspace, folder: Path) -> None:
        self.api, self.listener_id, self.ws, self.folder = api, listener_id, ws, folder
        self.port = 0
        self.serving: tuple[str, str] = ("", "")  # the (server, CA) certificate ids being served
        self._server: PracticeLoadBalancer | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ServedListener:
        self.refresh()
        self.api.after_write = lambda route, answer: self.refresh() if route == "update_listener" else None
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.after_write = None
        if self._server is not None:
            self._server.stop()

    def refresh(self) -> None:
        """Serve what the listener refers to now (a no-op when it did not change)."""
        listener = self.api.listeners[self.listener_id]
        wanted = (listener["default_tls_container_ref"], listener["client_ca_tls_container_ref"])
        if wanted == self.serving:
            return
        server, ca = (self.api.certificates[cert_id] for cert_id in wanted)
        self.folder.mkdir(parents=True, exist_ok=True)
        files = {name: self.folder / name for name in ("cert.pem", "key.pem", "ca.pem")}
        files["cert.pem"].write_text(server["certificate"] + "\n")
        files["key.pem"].write_text(server["private_key"] + "\n")
        files["ca.pem"].write_text(ca["certificate"] + "\n")
        if self._server is not None:
            self._server.stop()
        self._server = PracticeLoadBalancer(self.ws, port=self.port, cert_files=(files["cert.pem"], files["key.pem"]), client_ca_file=files["ca.pem"])
        self._server.start()
        self.port, self.serving = self._server.port, wanted
