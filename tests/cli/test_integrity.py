"""`status` and `client list` see a broken or outdated set, and the way back needs no archaeology:
`renew` mends a half-replaced set, `restore BACKUP` puts a backup back (keeping what it replaces),
`recover` finishes what a killed run left. (The kill points themselves: test_kill_points.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import P12_PASSWORD, CliRunner, make_pki
from support.kill_points import leaf_whole

from wizard import clients
from wizard.workspace import Workspace

PASSWORD = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def _states(cli: CliRunner, ws: Workspace) -> dict[str, str]:
    listed = cli("client", "list", "--json", "-w", str(ws.root))
    assert listed.returncode == 0, listed.stderr
    return {entry["name"]: entry["state"] for entry in json.loads(listed.stdout)}


def test_a_new_ca_leaves_old_clients_old_ca_and_starts_its_own_revocation_record(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    options = clients.ClientOptions(key_type="ec-p256")
    assert not clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, options).failed
    clients.revoke(ws, "bob")
    old_record = (ws.folder("ca") / "revoked.json").read_bytes()

    done = cli("generate", "--server-cn", "localhost", "--key-type", "ec-p256", "--new-ca", "-w", str(ws.root), env=PASSWORD)
    assert done.returncode == 0, done.stderr
    # The old CA's CRL and record went to the backup with it: the new CA has revoked nobody.
    assert not any((ws.folder("ca") / name).exists() for name in ("crl.pem", "revoked.json", "revoked-serials.txt"))
    (backup,) = ws.root.glob("backup-*")
    assert (backup / "ca" / "revoked.json").read_bytes() == old_record
    assert _states(cli, ws) == {"client": "valid", "alice": "old-ca", "bob": "old-ca"}

    status = cli("status", "-w", str(ws.root))
    assert status.returncode == 1
    assert "the client alice was issued by a CA this workspace replaced since (old-ca)" in status.stderr
    assert f"mtls-wizard renew client alice -w {ws.root}" in status.stderr

    renewed = cli("renew", "client", "alice", "-w", str(ws.root), env=PASSWORD)
    assert renewed.returncode == 0 and "the renewed one is issued by the workspace CA" in renewed.stderr, renewed.stderr
    leaf_whole(ws.root, "clients/alice/alice", P12_PASSWORD)
    assert _states(cli, ws)["alice"] == "valid"


def test_a_broken_server_set_is_a_finding_and_renew_mends_it(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    ws.key("server").unlink()
    status = cli("status", "-w", str(ws.root))
    assert status.returncode == 1
    assert f"the server certificate is broken: server/server.key is missing; mend it with mtls-wizard renew server -w {ws.root}" \
        in status.stderr
    assert "1 problem in the workspace" in status.stdout

    assert cli("renew", "server", "-w", str(ws.root)).returncode == 0
    leaf_whole(ws.root, "server/server", p12=False)
    assert cli("status", "-w", str(ws.root)).returncode == 0


def test_a_client_whose_key_is_not_its_certificates_is_listed_broken(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    assert not clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256")).failed
    alice, bob = clients.client_files(ws, "alice"), clients.client_files(ws, "bob")
    shutil.copyfile(bob.key, alice.key)
    listed = cli("client", "list", "-w", str(ws.root))
    assert "alice is broken: clients/alice/alice.key does not belong to clients/alice/alice.crt" in listed.stderr
    assert _states(cli, ws) == {"client": "valid", "alice": "broken", "bob": "valid"}
    status = cli("status", "-w", str(ws.root))
    assert status.returncode == 1 and "the client alice is broken" in status.stderr and "renew client alice" in status.stderr


def test_renew_completes_a_client_set_an_older_version_left_half_replaced(cli: CliRunner, tmp_path: Path) -> None:
    """The issue's case: the certificate went to the backup, the rest stayed; renew takes the last copy."""
    ws = make_pki(tmp_path / "ws")
    assert not clients.issue_clients(ws, ["alice"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256")).failed
    alice = clients.client_files(ws, "alice")
    backup = ws.root / "backup-20300101-000000" / "clients" / "alice"
    backup.mkdir(parents=True, mode=0o700)
    alice.cert.rename(backup / "alice.crt")

    status = cli("status", "-w", str(ws.root))
    assert status.returncode == 1 and "clients/alice/alice.crt is missing" in status.stderr
    renewed = cli("renew", "client", "alice", "-w", str(ws.root), env=PASSWORD)
    assert renewed.returncode == 0, renewed.stderr
    assert "clients/alice/alice.crt was missing (a half-replaced set): renewed from its last copy" in renewed.stderr
    leaf_whole(ws.root, "clients/alice/alice", P12_PASSWORD)
    assert cli("status", "-w", str(ws.root)).returncode == 0


def test_restore_puts_a_backup_back_and_keeps_what_it_replaces(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    old = {path.name: path.read_bytes() for path in ws.artifacts("server")}
    assert cli("renew", "server", "-w", str(ws.root)).returncode == 0
    renewed = {path.name: path.read_bytes() for path in ws.artifacts("server")}
    (backup,) = ws.root.glob("backup-*")

    wrong = cli("restore", "backup-nope", "-w", str(ws.root))
    assert wrong.returncode == 2 and f"(the newest is {backup.name})" in wrong.stderr
    done = cli("restore", backup.name, "-w", str(ws.root))
    assert done.returncode == 0, done.stderr
    assert f"put back from {backup.name}: server/server.crt, server/server.csr, server/server.key" in done.stdout
    assert {path.name: path.read_bytes() for path in ws.artifacts("server")} == old
    (kept,) = set(ws.root.glob("backup-*")) - {backup}
    assert {path.name: path.read_bytes() for path in (kept / "server").iterdir()} == renewed
    assert {path.name: path.read_bytes() for path in (backup / "server").iterdir()} == old  # the backup is only read


def test_recover_says_when_there_is_nothing_to_recover(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    done = cli("recover", "-w", str(ws.root))
    assert done.returncode == 0 and f"nothing to recover in {ws.root}" in done.stdout, done.stderr
    missing = cli("recover", "-w", str(tmp_path / "none"))
    assert missing.returncode == 1 and "there is no workspace at" in missing.stderr
