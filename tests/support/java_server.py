"""A real Java HTTPS server on loopback (JSSE, Java's own TLS stack), built from a workspace and a `Mode`.

servers/JsseMtlsServer.java is compiled once per process with javac, then runs as our child
(`java -cp DIR JsseMtlsServer server.properties`) on com.sun.net.httpserver. JSSE reads neither
SEC1 nor PKCS#1 keys, so the server key is handed over as PKCS#8 DER (0600, in DIR).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from support.mtls_modes import NONE, Mode
from support.server_process import ServerProcess, find_binary, require_binary
from wizard.workspace import Workspace

SOURCE = Path(__file__).parent / "servers" / "JsseMtlsServer.java"
_compiled: dict[str, Path] = {}
_compile_lock = threading.Lock()


def require_java() -> str:
    """javac (and so java), or skip (locally) / fail (in CI) with a clear reason."""
    require_binary("java", "default-jdk-headless")
    return require_binary("javac", "default-jdk-headless")


def compiled_classes() -> Path:
    """The folder holding JsseMtlsServer.class, compiled on first use."""
    with _compile_lock:
        if "dir" not in _compiled:
            folder = Path(tempfile.mkdtemp(prefix="jsse-server-"))
            subprocess.run([find_binary("javac") or "javac", "-d", str(folder), str(SOURCE)], check=True, capture_output=True, timeout=120)
            _compiled["dir"] = folder
        return _compiled["dir"]


class JavaServer(ServerProcess):
    what = "Java (JSSE)"
    config_name = "server.properties"

    def __init__(self, ws: Workspace, folder: Path, mode: Mode, host: str = "127.0.0.1") -> None:
        super().__init__(folder, host)
        self.ws, self.mode = ws, mode
        self.binary = find_binary("java") or "java"

    @property
    def key_file(self) -> Path:
        return self.folder / "server.p8.der"

    def prepare(self) -> None:
        key = serialization.load_pem_private_key(self.ws.key("server").read_bytes(), password=None)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(der)

    def command(self) -> list[str]:
        # A small heap and one compiler thread: the JVM starts faster on two busy cores.
        return [self.binary, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", str(compiled_classes()), "JsseMtlsServer", str(self.config_path)]

    def config(self) -> str:
        mode = self.mode
        if mode.h2_only:
            raise ValueError("com.sun.net.httpserver speaks HTTP/1.1 only")
        values = {
            "host": self.host, "port": str(self.port), "key": str(self.key_file), "cert": str(self.ws.cert("server")),
            "ca": str(mode.client_ca or self.ws.cert("ca")), "clientAuth": mode.client_auth if mode.client_auth != NONE else "none",
            "crl": str(mode.crl or ""), "protocols": ",".join(mode.versions), "refuse": str(mode.app_refusal or 0),
        }
        # Properties files escape backslashes; our paths have none, but be exact anyway.
        return "".join(f"{name}={value.replace(chr(92), chr(92) * 2)}\n" for name, value in values.items())
