"""The situations of tests/cli/test_hostile_cases.py's table: a row's world (`Ctx`), the setups
that build each hostile case with real files, accounts and peers, and the checks a row adds."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import P12_PASSWORD, console_script, make_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from support.other_user import OtherUser
from wizard import pki
from wizard.workspace import LOCK_NAME, Workspace

PASSWORD = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


@dataclass
class Ctx:
    """One row's world: its own copy of a workspace (bob revoked, carol valid) under `tmp`."""

    tmp: Path
    ws: Path
    other: OtherUser | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.ws)


# ---------------------------------------------------------------------------
# Setups: another user's files
# ---------------------------------------------------------------------------


def planted_shared_workspace(ctx: Ctx) -> None:
    """A shared folder where another account pre-created mtls-workspace/ca/ (mode 777) with its own CA (key 644)."""
    shared = ctx.tmp / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    planted = make_pki(shared / "mtls-workspace")
    for folder in (planted.root, planted.folder("ca")):
        os.chmod(folder, 0o777)
    os.chmod(planted.key("ca"), 0o644)
    for role in ("server", "client"):
        shutil.rmtree(planted.folder(role))
    assert ctx.other is not None
    ctx.other.give(planted.root)
    ctx.ws = planted.root


def planted_ca_folder(ctx: Ctx) -> None:
    """Our workspace folder, but its ca/ belongs to another user."""
    assert ctx.other is not None
    ctx.other.give(ctx.ws / "ca")


def planted_lock_file(ctx: Ctx) -> None:
    assert ctx.other is not None
    lock = ctx.ws / LOCK_NAME
    lock.touch()
    ctx.other.give(lock)


def planted_client_file(ctx: Ctx) -> None:
    assert ctx.other is not None
    ctx.other.give(ctx.ws / "clients" / "carol" / "carol.crt")


def group_writable_ca_folder(ctx: Ctx) -> None:
    """ca/ writable by the other user's group (its members could plant a CA there)."""
    assert ctx.other is not None
    os.chown(ctx.ws / "ca", -1, ctx.other.gid)
    os.chmod(ctx.ws / "ca", 0o770)


def open_workspace(ctx: Ctx) -> None:
    os.chmod(ctx.ws, 0o777)


def readable_ca_key(ctx: Ctx) -> None:
    os.chmod(ctx.ws / "ca" / "ca.key", 0o644)


def workspace_link(ctx: Ctx) -> None:
    link = ctx.tmp / "link"
    link.symlink_to(ctx.ws)
    ctx.extra["real"] = ctx.ws
    ctx.ws = link


def elb_link(ctx: Ctx) -> None:
    outside = ctx.tmp / "outside"
    outside.mkdir()
    shutil.rmtree(ctx.ws / "elb", ignore_errors=True)
    (ctx.ws / "elb").symlink_to(outside)


def client_folder_link(ctx: Ctx) -> None:
    open_folder = ctx.tmp / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)
    (ctx.ws / "clients" / "eve").symlink_to(open_folder)


def nothing_in(folder: str) -> Callable[[Ctx, subprocess.CompletedProcess], None]:
    def check(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
        assert list((ctx.tmp / folder).iterdir()) == []

    return check


def no_server_or_client_issued(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    assert not (ctx.ws / "server").exists() and not (ctx.ws / "client").exists()
    assert "reused" not in result.stdout


# ---------------------------------------------------------------------------
# Setups: the revocation record
# ---------------------------------------------------------------------------


def record_says(text: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        (ctx.ws / "ca" / "revoked.json").write_text(text)

    return setup


def record_with(**changes: object) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        path = ctx.ws / "ca" / "revoked.json"
        record = json.loads(path.read_text())
        entry_changes = {k.removeprefix("entry_"): v for k, v in changes.items() if k.startswith("entry_")}
        record.update({k: v for k, v in changes.items() if not k.startswith("entry_")})
        record["revoked"][0].update(entry_changes)
        path.write_text(json.dumps(record))

    return setup


def record_deleted(ctx: Ctx) -> None:
    (ctx.ws / "ca" / "revoked.json").unlink()


def crl_number(path: Path) -> int:
    crl = x509.load_pem_x509_crl(path.read_bytes())
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def rebuilt_and_never_backwards(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    assert "rebuilt from ca/crl.pem (CRL number 1): 1 revoked certificate(s), 0 of them" in result.stdout
    listed = run(ctx, ("client", "list", "--workspace", "{ws}", "--json"), {})
    assert listed.returncode == 0, listed.stderr
    states = {row["name"]: row["state"] for row in json.loads(listed.stdout)}
    assert states["bob"] == "revoked" and states["carol"] == "valid"
    revoked = run(ctx, ("client", "revoke", "carol", "--workspace", "{ws}"), {})
    assert revoked.returncode == 0, revoked.stderr
    assert crl_number(ctx.ws / "ca" / "crl.pem") == 2  # after 1: never back to 1


# ---------------------------------------------------------------------------
# Setups: hostile inputs
# ---------------------------------------------------------------------------


def password_file(content: bytes) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        (ctx.tmp / "pw").write_bytes(content)

    return setup


def silent_pipe(ctx: Ctx) -> None:
    """A FIFO whose writer is there but never writes (held open read-write by the test)."""
    fifo = ctx.tmp / "pw"
    os.mkfifo(fifo)
    ctx.extra["fd"] = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)


def names_file(count: int, prefix: str = "n") -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        (ctx.tmp / "names").write_text("".join(f"{prefix}{i}\n" for i in range(count)))

    return setup


def ascii_stdout_generate(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Step 1  CA: created" in result.stdout  # English: the terminal cannot show Chinese
    assert (ctx.ws / "client" / "client.p12").exists()


def fresh_workspace_elsewhere(ctx: Ctx) -> None:
    ctx.ws = ctx.tmp / "new-ws"


NOW = dt.datetime.now(dt.timezone.utc)


def _ca(key: pki.PrivateKey, cn: str) -> x509.Certificate:
    with warnings.catch_warnings():  # the over-long CN is the point (the library warns about it here)
        warnings.simplefilter("ignore")
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ELB"), x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False)])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=400))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))


def brought_ca(*, bits: int | None = None, cn: str = "Brought CA") -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        key = rsa.generate_private_key(65537, bits) if bits else pki.generate_key("ec-p256")
        (ctx.tmp / "ca.key").write_bytes(pki.key_to_pem(key))
        (ctx.tmp / "ca.crt").write_bytes(pki.cert_to_pem(_ca(key, cn)))
        fresh_workspace_elsewhere(ctx)

    return setup


def brought_long_chain(ctx: Ctx) -> None:
    """A server certificate "with its chain": 929 more certificates after the leaf."""
    (ctx.tmp / "server.crt").write_bytes((ctx.ws / "server" / "server.crt").read_bytes())
    (ctx.tmp / "server.key").write_bytes((ctx.ws / "server" / "server.key").read_bytes())
    (ctx.tmp / "chain.pem").write_bytes((ctx.ws / "ca" / "ca.crt").read_bytes() * 929)
    fresh_workspace_elsewhere(ctx)


def no_warning_lines(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    assert "UserWarning" not in result.stderr and ".py" not in result.stderr
    assert not ctx.ws.exists()


def nothing_made(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    assert not ctx.ws.exists()

def run(ctx: Ctx, argv: tuple[str, ...], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    places = {name: value for name, value in ctx.extra.items() if isinstance(value, str)}  # {address}, {endpoint}
    args = [part.format(ws=ctx.ws, tmp=ctx.tmp, **places) for part in argv]
    full_env = {**os.environ, **PASSWORD, **env}
    return subprocess.run([console_script(), *args], capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=ctx.tmp)


# ---------------------------------------------------------------------------
# Setups: peers on 127.0.0.1 (a listener, a hostile cloud API), stopped by the row's test
# ---------------------------------------------------------------------------


def started(ctx: Ctx, server: Any) -> Any:
    """Enter `server` for the row; the test leaves it after the run (ctx.extra["closers"])."""
    entered = server.__enter__()
    ctx.extra.setdefault("closers", []).append(lambda: server.__exit__(None, None, None))  # type: ignore[union-attr]
    return entered


def listener_with_a_server_certificate_of_another_ca(ctx: Ctx) -> None:
    """Mutual TLS on 127.0.0.1 that trusts our CA but shows a server certificate another CA issued."""
    from wizard.practice import PracticeLoadBalancer

    other = make_pki(ctx.tmp / "other-pki", org="Elsewhere")
    listener = started(ctx, PracticeLoadBalancer(ctx.workspace, cert_files=(other.cert("server"), other.key("server"))))
    ctx.extra["address"], ctx.extra["listener"] = listener.address, listener


def stopped_after_the_first_handshake(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    """FAIL before our certificate or a request was sent: the listener saw one connection, cut in the handshake."""
    assert "neither our client certificate nor a request" in result.stdout, result.stdout
    seen = list(ctx.extra["listener"].outcomes)  # type: ignore[attr-defined]
    assert len(seen) == 1 and seen[0]["outcome"] == "failed", seen


def pass_says_server_not_verified(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("PASS") and "(server not verified: --insecure)" in last, result.stdout


def hostile_api(mode: str) -> Callable[[Ctx], None]:
    """An ELB API endpoint on 127.0.0.1 that trickles, says nothing, or answers garbage (support.hostile_peer)."""
    def setup(ctx: Ctx) -> None:
        from support.hostile_peer import HostilePeer

        peer = started(ctx, HostilePeer(mode))
        ctx.extra["endpoint"], ctx.extra["peer"] = peer.endpoint, peer

    return setup


def no_key_was_sent(ctx: Ctx, result: subprocess.CompletedProcess) -> None:
    """Only the lookup reached the peer: no upload (POST), no private key."""
    requests = ctx.extra["peer"].requests  # type: ignore[attr-defined]
    assert requests and not any(request.startswith(b"POST") for request in requests)
    assert b"PRIVATE KEY" not in b"".join(requests)
