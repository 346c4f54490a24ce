"""A run killed half-way leaves the old set or the new one, never half of each, and never no CA.

Every command that replaces certificates runs as the installed `mtls-wizard` and is stopped by
SIGKILL right after each write, rename or removal of its replacement in turn (see
tests/support/kill_points.py), until it runs to its end. After each kill, `status` exits 1 naming
the interrupted replacement, nothing of the old files is lost, and after the next run (`recover`,
or the same `renew`) each set is the old one untouched or the new one whole: key and certificate
belong together, openssl verifies the certificate against the workspace CA, the .p12 opens.

One workspace (EC keys: fast) is prepared per test and copied for each kill point.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, make_pki
from cryptography import x509
from support.aging import age
from support.kill_points import KILLED, Case, KillPoints, WorkspaceSet, key_matches, leaf_whole, snapshot, verified

from wizard import clients, replacement
from wizard.environment import KILL_AFTER_ENV, PASSWORD_ENV
from wizard.lifecycle import renew
from wizard.workspace import Workspace

PASSWORD = {PASSWORD_ENV: P12_PASSWORD}
SERVER = ("server/server.key", "server/server.csr", "server/server.crt")
CLIENT = ("client/client.key", "client/client.csr", "client/client.crt", "client/client.p12")
CA = ("ca/ca.key", "ca/ca.csr", "ca/ca.crt")
REVOCATION = ("ca/crl.pem", "ca/revoked.json", "ca/revoked-serials.txt")
GENERATE = ("generate", "--server-cn", "localhost", "--key-type", "ec-p256")


def named(name: str, *, password_file: bool = False) -> tuple[str, ...]:
    stem = f"clients/{name}/{name}"
    return (f"{stem}.key", f"{stem}.csr", f"{stem}.crt", f"{stem}.p12", *((f"{stem}.p12-password",) if password_file else ()))


def prepared_workspace(root: Path) -> Workspace:
    """CA, server, the tutorial's client, alice and bob (bob revoked, so a CRL exists)."""
    ws = make_pki(root)
    options = clients.ClientOptions(key_type="ec-p256")
    assert not clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, options).failed
    clients.revoke(ws, "bob")
    return ws


# ---------------------------------------------------------------------------
# Judges of each command's new set
# ---------------------------------------------------------------------------


def server_whole(root: Path) -> None:
    leaf_whole(root, "server/server", p12=False)


def client_whole(root: Path) -> None:
    leaf_whole(root, "client/client", P12_PASSWORD)


def alice_whole(root: Path) -> None:
    leaf_whole(root, "clients/alice/alice", P12_PASSWORD)


def ca_whole(root: Path) -> None:
    key_matches(root, "ca/ca.key", "ca/ca.crt")
    verified(root, "ca/ca.crt")


def new_ca_whole(root: Path) -> None:
    """A new CA, the leaves it issued, and no CRL or revocation record of the old CA beside it."""
    ca_whole(root)
    server_whole(root)
    client_whole(root)
    assert not any((root / path).exists() for path in REVOCATION)


def revocation_whole(root: Path, revoked: tuple[str, ...]) -> None:
    """The record, the serial list and the CRL agree, the CA signed the CRL, and these clients are on it."""
    record = json.loads((root / "ca" / "revoked.json").read_text())
    crl = x509.load_pem_x509_crl((root / "ca" / "crl.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((root / "ca" / "ca.crt").read_bytes())
    assert crl.is_signature_valid(ca.public_key())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == record["crl_number"]
    serials = [entry["serial"] for entry in record["revoked"]]
    assert (root / "ca" / "revoked-serials.txt").read_text().split() == serials
    assert {format(item.serial_number, "X") for item in crl} == {serial.lstrip("0") or "0" for serial in serials}
    assert {entry["name"] for entry in record["revoked"]} >= set(revoked)


def carol_whole(root: Path) -> None:
    leaf_whole(root, "clients/carol/carol")  # with the password in carol.p12-password


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------

CASES: dict[str, Case] = {
    "renew server": Case(("renew", "server"), ("renew server",), (WorkspaceSet(SERVER, server_whole),), again=True),
    "renew client alice": Case(("renew", "client", "alice"), ("renew client alice",), (WorkspaceSet(named("alice"), alice_whole),),
                               again=True, env=PASSWORD),
    "client issue --force": Case(("client", "issue", "alice", "--force"), ("client issue alice --force",),
                                 (WorkspaceSet(named("alice"), alice_whole),), env=PASSWORD),
    "generate --force": Case((*GENERATE, "--force"), ("generate --force",), (WorkspaceSet(SERVER + CLIENT, lambda r: (server_whole(r), client_whole(r))),),
                             env=PASSWORD),
    "generate --new-ca": Case((*GENERATE, "--new-ca"), ("generate --new-ca",), (WorkspaceSet(CA + SERVER + CLIENT + REVOCATION, new_ca_whole),),
                              env=PASSWORD),
    "renew ca": Case(("renew", "ca"), ("renew ca",), (WorkspaceSet(("ca/ca.crt",), ca_whole),)),
    "client revoke": Case(("client", "revoke", "alice"), ("client revoke alice",),
                          (WorkspaceSet(REVOCATION, lambda r: revocation_whole(r, ("alice", "bob")), kept=False),)),
    "client crl": Case(("client", "crl"), ("client crl",), (WorkspaceSet(REVOCATION, lambda r: revocation_whole(r, ("bob",)), kept=False),)),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepared_workspace(tmp_path_factory.mktemp("prepared") / "ws").root


@pytest.fixture
def kill_points(cli: CliRunner, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> KillPoints:
    return KillPoints(cli, capsys, tmp_path)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(CASES))
def test_killed_at_every_write_leaves_one_whole_set(name: str, prepared: Path, kill_points: KillPoints) -> None:
    assert kill_points.run(CASES[name], prepared) >= 8  # every kill point was tried, then the run to its end


def _variant(prepared: Path, tmp_path: Path, change: Callable[[Workspace], None]) -> Path:
    root = tmp_path / "variant"
    shutil.copytree(prepared, root, symlinks=True)
    change(Workspace(root))
    return root


@pytest.mark.timeout(300)
def test_rotate_killed_anywhere_leaves_each_set_whole(prepared: Path, kill_points: KillPoints, tmp_path: Path) -> None:
    """rotate renews the server and carol (whose .p12 password is in her folder) one after the other: each
    is its own replacement, each old or new, carol's password file always the one her .p12 opens with."""
    def due(ws: Workspace) -> None:
        options = clients.ClientOptions(key_type="ec-p256", random_passwords=True)
        assert not clients.issue_clients(ws, ["carol"], None, options).failed
        age(ws, ws.cert("server"), days_left=2, lifetime=10)
        age(ws, clients.client_files(ws, "carol").cert, days_left=2, lifetime=10)

    root = _variant(prepared, tmp_path, due)
    case = Case(("rotate", "--within-days", "3", "--client", "carol", "--no-check"), ("renew server", "renew client carol"),
                (WorkspaceSet(SERVER, server_whole), WorkspaceSet(named("carol", password_file=True), carol_whole)), exit_codes=(1,))
    assert kill_points.run(case, root) >= 20


@pytest.mark.timeout(300)
def test_rebuild_record_killed_anywhere(prepared: Path, kill_points: KillPoints, tmp_path: Path) -> None:
    root = _variant(prepared, tmp_path, lambda ws: (ws.folder("ca") / "revoked.json").write_text("{damaged"))
    case = Case(("client", "rebuild-record"), ("client rebuild-record",),
                (WorkspaceSet(("ca/revoked.json", "ca/revoked-serials.txt"), lambda r: revocation_whole(r, ("bob",))),))
    assert kill_points.run(case, root) >= 8


@pytest.mark.timeout(300)
def test_restore_killed_anywhere(prepared: Path, kill_points: KillPoints, tmp_path: Path) -> None:
    """Put back the server set a renewal replaced; what it replaces goes to a backup of its own."""
    root = _variant(prepared, tmp_path, lambda ws: renew.renew_server(ws))
    (backup,) = root.glob("backup-*")

    def restored(r: Path) -> None:
        server_whole(r)
        assert all((r / path).read_bytes() == (backup / path).read_bytes() for path in SERVER)

    case = Case(("restore", backup.name), (f"restore {backup.name}",), (WorkspaceSet(SERVER, restored),))
    assert kill_points.run(case, root) >= 8


@pytest.mark.timeout(300)
def test_a_recovery_killed_anywhere_is_recovered_by_the_next_run(prepared: Path, kill_points: KillPoints, cli: CliRunner,
                                                                 tmp_path: Path) -> None:
    """generate --new-ca killed half-way through its switch, then `recover` killed at each of its own
    steps: every time the next run finishes it, with the new CA and its leaves whole."""
    before = snapshot(prepared)
    halfway = tmp_path / "halfway"
    shutil.copytree(prepared, halfway, symlinks=True)
    assert cli(*GENERATE, "--new-ca", "-w", str(halfway), env={**PASSWORD, KILL_AFTER_ENV: "20"}).returncode == KILLED
    journal = replacement.pending(halfway)
    assert journal is not None and journal.phase == replacement.SWITCHING
    case = Case(("recover",), ("generate --new-ca",), (WorkspaceSet(CA + SERVER + CLIENT + REVOCATION, new_ca_whole),))
    for point in range(1, 200):
        ws = tmp_path / f"recover-{point}"
        shutil.copytree(halfway, ws, symlinks=True)
        done = cli("recover", "-w", str(ws), env={KILL_AFTER_ENV: str(point)})
        if done.returncode != KILLED:
            assert "finished the interrupted replacement (generate --new-ca" in done.stderr
            kill_points.judge(case, ws, before, killed_at=None)
            break
        kill_points.after_kill(case, ws, before, point)
    assert point > 10
