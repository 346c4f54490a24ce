"""The CA key's passphrase on the command line: --ca-password-file, else $MTLS_WIZARD_CA_PASSWORD,
else a hidden prompt; every command that signs asks the same way, a wrong one is one line (exit
1) with nothing written, the commands that only read never ask, and `ca-passphrase` adds,
changes and removes it with a backup."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner
from support.aging import age
from support.ccm_setup import cli_target
from support.fake_ccm_api import FakeCcmApi
from support.openssl_chain import _openssl_ca
from support.terminal import run_on_a_terminal
from support.tools import tool

from wizard import ca_key
from wizard.workspace import Workspace

PASSPHRASE = "correct horse battery staple"
P12 = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def secret_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text + "\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def protected(tmp_path: Path, cli: CliRunner) -> tuple[Workspace, str]:
    """A workspace whose CA key is under PASSPHRASE (made by `generate --ca-password-file`), and that file."""
    passphrase_file = secret_file(tmp_path, "ca-pass", PASSPHRASE)
    made = cli("generate", "-w", str(tmp_path / "ws"), "--server-cn", "localhost", "--key-type", "ec-p256",
               "--ca-password-file", passphrase_file, env=P12)
    assert made.returncode == 0, made.stderr
    return Workspace(tmp_path / "ws"), passphrase_file


def tree(ws: Workspace) -> dict[str, bytes]:
    """Every file of the workspace with its content (the lock file holds the last holder's pid)."""
    return {str(path.relative_to(ws.root)): path.read_bytes() for path in sorted(ws.root.rglob("*"))
            if path.is_file() and path.name != ".mtls-wizard.lock"}


def test_generate_protects_the_ca_key_and_client_issue_opens_it_from_the_file(protected: tuple[Workspace, str], cli: CliRunner) -> None:
    ws, passphrase_file = protected
    assert ws.key("ca").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    opened = subprocess.run([tool("openssl"), "pkey", "-in", str(ws.key("ca")), "-passin", f"file:{passphrase_file}", "-noout"],
                            capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    issued = cli("client", "issue", "alice", "-w", str(ws.root), "--ca-password-file", passphrase_file, env=P12)
    assert issued.returncode == 0, issued.stderr
    verified = subprocess.run([tool("openssl"), "verify", "-CAfile", str(ws.cert("ca")), str(ws.root / "clients" / "alice" / "alice.crt")],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    from_variable = cli("client", "issue", "bob", "-w", str(ws.root), env={**P12, "MTLS_WIZARD_CA_PASSWORD": PASSPHRASE})
    assert from_variable.returncode == 0, from_variable.stderr


def test_a_brought_ca_and_a_new_ca_are_put_under_the_passphrase(tmp_path: Path, cli: CliRunner) -> None:
    """`generate --ca-cert/--ca-key` and `--new-ca` put the CA key they write under the passphrase;
    a new CA without one replacing a protected CA is said."""
    passphrase_file = secret_file(tmp_path, "ca-pass", PASSPHRASE)
    cert, key = _openssl_ca(tmp_path / "corp", "Corp mTLS CA")
    root = str(tmp_path / "ws")
    brought = cli("generate", "-w", root, "--server-cn", "localhost", "--ca-cert", str(cert), "--ca-key", str(key),
                  "--ca-password-file", passphrase_file, env=P12)
    assert brought.returncode == 0, brought.stderr
    ws = Workspace(tmp_path / "ws")
    assert ca_key.is_encrypted(ws)
    ca_key.check_passphrase(ws, PASSPHRASE)
    assert ws.cert("ca").read_bytes() == cert.read_bytes()
    renewed = cli("generate", "-w", root, "--server-cn", "localhost", "--key-type", "ec-p256", "--new-ca", "--force",
                  "--ca-password-file", passphrase_file, env=P12)
    assert renewed.returncode == 0, renewed.stderr
    assert ca_key.is_encrypted(ws) and ws.cert("ca").read_bytes() != cert.read_bytes()
    ca_key.check_passphrase(ws, PASSPHRASE)
    unprotected = cli("generate", "-w", root, "--server-cn", "localhost", "--key-type", "ec-p256", "--new-ca", "--force", env=P12)
    assert unprotected.returncode == 0, unprotected.stderr
    assert not ca_key.is_encrypted(ws)
    assert "the CA it replaces had a passphrase; the new ca/ca.key has none" in unprotected.stderr


def test_a_wrong_or_missing_passphrase_is_one_line_exit_1_and_nothing_written(protected: tuple[Workspace, str], cli: CliRunner,
                                                                                tmp_path: Path) -> None:
    ws, _passphrase_file = protected
    before = tree(ws)
    wrong = secret_file(tmp_path, "wrong", "not the passphrase")
    for command in (["client", "issue", "alice"], ["client", "crl"], ["renew", "server"], ["renew", "ca"], ["renew", "client"]):
        result = cli(*command, "-w", str(ws.root), "--ca-password-file", wrong, env=P12)
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.splitlines() == [result.stderr.strip()] and "passphrase is wrong" in result.stderr, command
        assert "Traceback" not in result.stderr and "not the passphrase" not in result.stderr + result.stdout
        missing = cli(*command, "-w", str(ws.root), env=P12)
        assert missing.returncode == 1 and "protected by a passphrase" in missing.stderr and "--ca-password-file" in missing.stderr
    assert tree(ws) == before


def test_every_command_that_signs_takes_the_passphrase(protected: tuple[Workspace, str], cli: CliRunner) -> None:
    ws, passphrase_file = protected
    given = ("-w", str(ws.root), "--ca-password-file", passphrase_file)
    for command in (["client", "issue", "carol"], ["client", "revoke", "carol"], ["client", "crl"], ["renew", "server"],
                    ["renew", "client"], ["renew", "ca"], ["generate", "--server-cn", "localhost", "--key-type", "ec-p256", "--force"]):
        result = cli(*command, *given, env=P12)
        assert result.returncode == 0, (command, result.stderr)
    assert ca_key.is_encrypted(ws)  # nothing took the passphrase off


def test_the_commands_that_only_read_never_ask(protected: tuple[Workspace, str], cli: CliRunner, tmp_path: Path) -> None:
    ws, passphrase_file = protected
    assert cli("client", "issue", "dave", "-w", str(ws.root), "--ca-password-file", passphrase_file, env=P12).returncode == 0
    for command in (["status"], ["client", "list"], ["inspect", "--client", "dave"], ["script"], ["elb", "export"]):
        result = cli(*command, "-w", str(ws.root))
        assert result.returncode == 0, (command, result.stderr)
        assert "passphrase" not in result.stderr, command
    checked = cli("check", "127.0.0.1:9", "-w", str(ws.root), "--timeout", "2")
    assert checked.returncode == 1 and "UNREACHABLE" in checked.stdout and "passphrase" not in checked.stderr


def test_rotate_takes_it_from_the_file_or_the_variable_only_and_else_needs_a_person(protected: tuple[Workspace, str], cli: CliRunner) -> None:
    ws, passphrase_file = protected
    age(ws, ws.cert("server"), days_left=2, lifetime=10, unlock=ca_key.given(PASSPHRASE))  # due within 5 days
    before = tree(ws)
    unattended = cli("rotate", "-w", str(ws.root), "--within-days", "5", "--no-check")
    assert unattended.returncode == 1
    assert "needs a person: the server certificate expires in 1 days; renewing it needs the CA key's passphrase" in unattended.stderr
    assert "--ca-password-file" in unattended.stderr
    wrong = cli("rotate", "-w", str(ws.root), "--within-days", "5", "--no-check", env={"MTLS_WIZARD_CA_PASSWORD": "wrong"})
    assert wrong.returncode == 1 and "passphrase is wrong" in wrong.stderr
    assert tree(ws) == before
    renewed = cli("rotate", "-w", str(ws.root), "--within-days", "5", "--no-check", "--ca-password-file", passphrase_file)
    assert "renewed the server certificate" in renewed.stdout, renewed.stderr


def test_ca_passphrase_adds_changes_and_removes_it_with_a_backup(tmp_path: Path, cli: CliRunner) -> None:
    ws = Workspace(tmp_path / "ws")
    assert cli("generate", "-w", str(ws.root), "--server-cn", "localhost", "--key-type", "ec-p256", env=P12).returncode == 0
    assert not ca_key.is_encrypted(ws)
    first, second = secret_file(tmp_path, "first", PASSPHRASE), secret_file(tmp_path, "second", "a second passphrase, long enough")
    added = cli("ca-passphrase", "add", "-w", str(ws.root), "--ca-password-file", first)
    assert added.returncode == 0, added.stderr
    assert "now under a passphrase" in added.stdout and "shred -u" in added.stderr  # the plain copy in the backup is named
    assert ca_key.is_encrypted(ws) and len(list(ws.root.glob("backup-*/ca/ca.key"))) == 1
    changed = cli("ca-passphrase", "change", "-w", str(ws.root), "--ca-password-file", first, "--new-ca-password-file", second)
    assert changed.returncode == 0, changed.stderr
    opened = subprocess.run([tool("openssl"), "pkey", "-in", str(ws.key("ca")), "-passin", f"file:{second}", "-noout"], capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    wrong = cli("ca-passphrase", "remove", "-w", str(ws.root), "--ca-password-file", first)
    assert wrong.returncode == 1 and "passphrase is wrong" in wrong.stderr and ca_key.is_encrypted(ws)
    removed = cli("ca-passphrase", "remove", "-w", str(ws.root), "--ca-password-file", second)
    assert removed.returncode == 0 and not ca_key.is_encrypted(ws)
    assert len(list(ws.root.glob("backup-*/ca/ca.key"))) == 3
    again = cli("ca-passphrase", "remove", "-w", str(ws.root))
    assert again.returncode == 2 and "has no passphrase" in again.stderr


def test_a_passphrase_on_the_command_line_is_refused_without_echo(tmp_path: Path, cli: CliRunner) -> None:
    for option in ("--ca-password", "--ca-passphrase"):
        result = cli("client", "issue", "alice", "-w", str(tmp_path / "ws"), option, "hunter2secret")
        assert result.returncode == 2 and "never give a password on the command line" in result.stderr
        assert "hunter2secret" not in result.stderr + result.stdout


def test_the_passphrase_is_asked_for_on_a_terminal_without_echo(tmp_path: Path, isolated_data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MTLS_WIZARD_P12_PASSWORD", "MTLS_WIZARD_CA_PASSWORD")}
    env.update(MTLS_WIZARD_DATA_DIR=str(isolated_data_dir), MTLS_WIZARD_P12_PASSWORD=P12_PASSWORD)
    ws = tmp_path / "ws"
    code, output = run_on_a_terminal(["generate", "-w", str(ws), "--server-cn", "localhost", "--key-type", "ec-p256", "--protect-ca-key"],
                                      ["typed passphrase 12", "typed passphrase 12"], env)
    assert code == 0, output
    assert "New passphrase for the CA key" in output and "typed passphrase 12" not in output
    ca_key.check_passphrase(Workspace(ws), "typed passphrase 12")
    code, output = run_on_a_terminal(["client", "issue", "erin", "-w", str(ws)], ["typed passphrase 12"], env)
    assert code == 0 and "Passphrase of the CA key" in output and "typed passphrase 12" not in output
    code, output = run_on_a_terminal(["client", "issue", "frank", "-w", str(ws)], ["a wrong one"], env)
    assert code == 1 and "passphrase is wrong" in output and not (ws / "clients" / "frank").exists()


def test_a_ca_held_in_ccm_says_the_passphrase_does_not_apply(tmp_path: Path, cli: CliRunner, ccm: FakeCcmApi) -> None:
    ws = Workspace(tmp_path / "ws")
    made = cli("generate", "-w", str(ws.root), "--server-cn", "localhost", "--san", "127.0.0.1", "--key-type", "ec-p256", "--ccm-create-ca",
               "--i-accept-ccm-charges", "--ccm-ca-subject", "C=CN,ST=Beijing,L=Beijing,OU=Operations", *cli_target(ccm), env=P12)
    assert made.returncode == 0, made.stderr
    passphrase_file = secret_file(tmp_path, "p", PASSPHRASE)
    added = cli("ca-passphrase", "add", "-w", str(ws.root), "--ca-password-file", passphrase_file)
    assert added.returncode == 2 and "held in CCM" in added.stderr and "no ca/ca.key" in added.stderr
    issued = cli("client", "issue", "alice", "-w", str(ws.root), "--ca-password-file", passphrase_file, *cli_target(ccm), env=P12)
    assert issued.returncode == 2 and "held in CCM" in issued.stderr and not (ws.root / "clients" / "alice").exists()
    without = cli("client", "issue", "alice", "-w", str(ws.root), *cli_target(ccm), env={**P12, "MTLS_WIZARD_CA_PASSWORD": PASSPHRASE})
    assert without.returncode == 0, without.stderr  # the variable is ambient: it does not apply, and nothing is said of it
