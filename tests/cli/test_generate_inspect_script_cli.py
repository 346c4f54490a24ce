"""`mtls-wizard generate / inspect / script` as real processes: output, files, exit codes, bad input."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner
from support.terminal import run_on_a_terminal
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard import pki
from wizard.workspace import LOCK_NAME, Workspace

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def one_clear_line(result, code: int) -> str:  # noqa: ANN001 - CompletedProcess
    """The process failed with `code` and said so in exactly one line, without a traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mtls-wizard")
    return lines[0]


def keys_of(ws: Path) -> dict[str, bytes]:
    """Every workspace file's bytes (the lock file, which names its last holder, aside)."""
    return {p.name: p.read_bytes() for p in ws.rglob("*") if p.is_file() and "backup-" not in str(p) and p.name != LOCK_NAME}


# ---------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------


def test_generate_with_the_defaults_of_the_issue(tmp_path: Path, cli: CliRunner) -> None:
    """The 'done when' command: RSA-2048, www.test.com, the password from the environment."""
    ws = tmp_path / "W"
    result = cli("generate", "--workspace", str(ws), "--server-cn", "www.test.com", env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for words in ("Step 1  CA: created", "Step 2  server certificate: created", "Step 3  client certificate: created",
                  "CN=www.test.com,O=ELB", "SHA-256", "client/client.p12", str(ws)):
        assert words in result.stdout
    assert P12_PASSWORD not in result.stdout
    workspace = Workspace(ws)
    for role in ("ca", "server", "client"):
        cert = pki.load_cert_pem(workspace.cert(role).read_bytes())
        assert pki.key_type_of(cert.public_key()) == "rsa2048"
        assert stat.S_IMODE(workspace.key(role).stat().st_mode) == 0o600
        assert workspace.csr(role).exists()
    assert pki.san_strings(pki.load_cert_pem(workspace.cert("server").read_bytes())) == ["DNS:www.test.com"]
    assert pki.p12_protection(workspace.p12.read_bytes())["mode"] == "modern"

    # A second identical run refuses, names the file and leaves every byte alone.
    before = keys_of(ws)
    again = cli("generate", "--workspace", str(ws), "--server-cn", "www.test.com", env=PASSWORD_ENV)
    line = one_clear_line(again, 1)
    assert "server/server.key" in line and "--force" in line
    assert keys_of(ws) == before


def test_generate_every_option(tmp_path: Path, cli: CliRunner) -> None:
    ws = tmp_path / "W"
    password_file = tmp_path / "p12-password"
    password_file.write_text("from a file 123\n")
    result = cli("generate", "-w", str(ws), "--server-cn", "10.20.30.40", "--san", "api.test.com", "--san", "::1",
                 "--client-cn", "alice", "--ca-cn", "Acme Test CA", "--org", "Acme", "--key-type", "ec-p384",
                 "--ca-days", "1000", "--server-days", "300", "--client-days", "200", "--legacy-p12",
                 "--p12-password-file", str(password_file))
    assert result.returncode == 0, result.stderr
    workspace = Workspace(ws)
    ca = pki.load_cert_pem(workspace.cert("ca").read_bytes())
    server = pki.load_cert_pem(workspace.cert("server").read_bytes())
    client = pki.load_cert_pem(workspace.cert("client").read_bytes())
    assert ca.subject.rfc4514_string() == "CN=Acme Test CA,O=Acme"
    assert server.subject.rfc4514_string() == "CN=10.20.30.40,O=Acme"
    assert pki.san_strings(server) == ["IP:10.20.30.40", "DNS:api.test.com", "IP:::1"]
    assert client.subject.rfc4514_string() == "CN=alice,O=Acme"
    assert [round((c.not_valid_after_utc - c.not_valid_before_utc).days) for c in (ca, server, client)] == [1000, 300, 200]
    assert pki.signature_hash_name(server) == "SHA-384"
    bundle = pki.load_p12(workspace.p12.read_bytes(), "from a file 123")
    assert bundle.cert.friendly_name == b"alice"
    assert pki.p12_protection(workspace.p12.read_bytes())["mode"] == "legacy"


def test_generate_warns_about_long_server_validity_and_short_password(tmp_path: Path, cli: CliRunner) -> None:
    result = cli("generate", "-w", str(tmp_path / "W"), "--server-cn", "localhost", "--key-type", "ec-p256",
                 "--server-days", "1000", env={"MTLS_WIZARD_P12_PASSWORD": "short"})
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("mtls-wizard: warning:") for w in warnings)
    assert any("Apple" in w for w in warnings) and any("8" in w for w in warnings)


def test_generate_force_and_new_ca(tmp_path: Path, cli: CliRunner) -> None:
    ws = tmp_path / "W"
    base = ("generate", "-w", str(ws), "--server-cn", "localhost", "--key-type", "ec-p256")
    assert cli(*base, env=PASSWORD_ENV).returncode == 0
    first = keys_of(ws)
    forced = cli(*base, "--force", env=PASSWORD_ENV)
    assert forced.returncode == 0, forced.stderr
    assert "Old files moved to" in forced.stdout and "reused" in forced.stdout
    (backup,) = ws.glob("backup-*")
    assert (backup / "server" / "server.key").read_bytes() == first["server.key"]
    assert (backup / "client" / "client.p12").read_bytes() == first["client.p12"]
    assert not (backup / "ca").exists()
    assert keys_of(ws)["ca.key"] == first["ca.key"]

    renewed = cli(*base, "--new-ca", env=PASSWORD_ENV)
    assert renewed.returncode == 0, renewed.stderr
    assert "Step 1  CA: created" in renewed.stdout
    assert len(list(ws.glob("backup-*"))) == 2
    assert keys_of(ws)["ca.key"] != first["ca.key"]
    assert any((b / "ca" / "ca.key").read_bytes() == first["ca.key"] for b in ws.glob("backup-*") if (b / "ca").exists())


def test_generate_reuses_an_existing_ca(tmp_path: Path, cli: CliRunner) -> None:
    ws = tmp_path / "W"
    assert cli("generate", "-w", str(ws), "--server-cn", "localhost", "--key-type", "ec-p256", env=PASSWORD_ENV).returncode == 0
    ca_key = (ws / "ca" / "ca.key").read_bytes()
    for role in ("server", "client"):
        for path in (ws / role).iterdir():
            path.unlink()
    result = cli("generate", "-w", str(ws), "--server-cn", "other.test", "--key-type", "ec-p256", env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    assert "reused" in result.stdout and (ws / "ca" / "ca.key").read_bytes() == ca_key
    assert "warning" not in result.stderr  # same answers as the CA: nothing to say


def test_reusing_a_ca_warns_when_the_ca_answers_differ(tmp_path: Path, cli: CliRunner) -> None:
    ws = tmp_path / "W"
    assert cli("generate", "-w", str(ws), "--server-cn", "localhost", "--key-type", "ec-p256", env=PASSWORD_ENV).returncode == 0
    result = cli("generate", "-w", str(ws), "--server-cn", "localhost", "--key-type", "ec-p384", "--org", "Other", "--force", env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "existing CA is kept" in line]
    assert len(warning) == 1
    assert "organisation 'ELB'" in warning[0] and "key type 'ec-p256'" in warning[0] and "--new-ca" in warning[0]


# ---------------------------------------------------------------------------
# Bad input: exactly one clear line, the right exit code, nothing written
# ---------------------------------------------------------------------------

BAD_GENERATE = [
    (["--server-cn", "bad_name!"], "not a valid host name"),
    (["--server-cn", "https://www.test.com/"], "URL"),
    (["--server-cn", "www.test.com:443"], "port"),
    (["--server-cn", "1.2.3.999"], "IP address"),
    (["--server-cn", "fe80::1%eth0"], "zone"),
    (["--server-cn", ""], "empty"),
    (["--server-cn", "www.test.com", "--san", "a..b"], "a..b"),
    (["--server-cn", "www.test.com", "--san", "*.*.test.com"], "*.*.test.com"),
    (["--server-cn", "www.test.com", "--san", "www.*.com"], "wildcard"),
    (["--server-cn", "www.test.com", "--key-type", "rsa1024"], "unknown key type"),
    (["--server-cn", "www.test.com", "--key-type", "dsa"], "unknown key type"),
    (["--server-cn", "www.test.com", "--server-days", "0"], "at least 1 day"),
    (["--server-cn", "www.test.com", "--ca-days", "-5"], "at least 1 day"),
    (["--server-cn", "www.test.com", "--client-days", "100000"], "not plausible"),
    (["--server-cn", "www.test.com", "--ca-days", "99999999999999999999"], "not plausible"),
    (["--server-cn", "www.test.com", "--client-days", "ten"], "not a whole number"),
    (["--server-cn", "www.test.com", "--org", "O" * 65], "at most 64"),
    (["--server-cn", "www.test.com", "--org", ""], "must not be empty"),
    (["--server-cn", "www.test.com", "--client-cn", "c" * 65], "at most 64"),
    (["--server-cn", "www.test.com", "--client-cn", ""], "must not be empty"),
    (["--server-cn", ("a" * 60) + ".example.com"], "--san"),
    (["--server-cn", "www.test.com", "--no-such-option"], "unrecognized"),
    ([], "--server-cn"),
]


@pytest.mark.parametrize(("args", "words"), BAD_GENERATE, ids=[" ".join(a)[:40] or "no-args" for a, _ in BAD_GENERATE])
def test_generate_bad_input(tmp_path: Path, cli: CliRunner, args: list[str], words: str) -> None:
    ws = tmp_path / "W"
    line = one_clear_line(cli("generate", "--workspace", str(ws), *args, env=PASSWORD_ENV), 2)
    assert words in line
    assert not ws.exists()  # refused before anything was created


def test_generate_without_a_workspace_is_a_usage_error(cli: CliRunner) -> None:
    assert "--workspace" in one_clear_line(cli("generate", "--server-cn", "x.test", env=PASSWORD_ENV), 2)


# Every command that takes --workspace, with the rest of a valid command line.
WORKSPACE_COMMANDS = {
    "generate": ["generate", "--server-cn", "localhost"],
    "script": ["script"],
    "check": ["check", "127.0.0.1:9"],
    "serve": ["serve", "--port", "0"],
    "elb-export": ["elb", "export"],
    "elb-upload": ["elb", "upload", "--region", "cn-north-4", "--project-id", "p1"],
    "the-wizard": [],
}


@pytest.mark.parametrize("empty", ["", "  "], ids=["empty", "blank"])
@pytest.mark.parametrize("command", list(WORKSPACE_COMMANDS))
def test_an_empty_workspace_is_refused_by_every_command(cli: CliRunner, tmp_path: Path, command: str, empty: str) -> None:
    """Item 2: '' would mean the current folder (or be ignored in favour of the last session's)."""
    args = WORKSPACE_COMMANDS[command]
    positions = [["--workspace", empty, *args]] + ([[*args, "--workspace", empty], [*args, "-w", empty]] if args else [])
    for argv in positions:
        result = cli(*argv, env=PASSWORD_ENV, cwd=tmp_path, timeout=30)
        assert "--workspace" in one_clear_line(result, 2) and "empty" in result.stderr, argv
    assert list(tmp_path.iterdir()) == []  # nothing made in the current folder


def test_a_workspace_given_before_the_command_is_used(cli: CliRunner, tmp_path: Path, pki_workspace: Workspace) -> None:
    """It used to be dropped silently in favour of the last session's workspace."""
    result = cli("--workspace", str(pki_workspace.root), "script", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"for {pki_workspace.root}" in result.stdout


def test_an_address_no_client_connects_to_is_not_a_server_name(tmp_path: Path, cli: CliRunner) -> None:
    for name in ("0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"):
        for args in (["--server-cn", name], ["--server-cn", "www.test.com", "--san", name]):
            line = one_clear_line(cli("generate", "--workspace", str(tmp_path / "W"), *args, env=PASSWORD_ENV), 2)
            assert name in line and ("every address" in line or "multicast" in line)
    assert not (tmp_path / "W").exists()


def test_a_password_file_keeps_unicode_line_separators(tmp_path: Path, cli: CliRunner) -> None:
    """Only a final \\n or \\r\\n ends the password: U+2028 and U+0085 are part of it.
    (A C0 control such as \\x0b is refused: tests/cli/test_hostile_cases.py.)"""
    password = "first\u2028second\u0085third"
    (tmp_path / "pw").write_text(password + "\r\n", encoding="utf-8", newline="")
    result = cli("generate", "-w", str(tmp_path / "W"), "--server-cn", "localhost", "--key-type", "ec-p256",
                 "--p12-password-file", str(tmp_path / "pw"))
    assert result.returncode == 0, result.stderr
    p12 = (tmp_path / "W" / "client" / "client.p12").read_bytes()
    assert pki.load_p12(p12, password).key is not None
    with pytest.raises(Exception):
        pki.load_p12(p12, "first")


def test_inspect_calls_a_p12_without_encryption_unprotected(tmp_path: Path, cli: CliRunner, pki_workspace: Workspace) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = pki.load_key_pem(pki_workspace.key("client").read_bytes())
    cert = pki.load_cert_pem(pki_workspace.cert("client").read_bytes())
    path = tmp_path / "open.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"client", key, cert, None, serialization.NoEncryption()))
    result = cli("inspect", str(path))  # no password needed, none asked for
    assert result.returncode == 0, result.stderr
    assert "Protection:   none (unprotected" in result.stdout and "unknown" not in result.stdout
    assert "anyone who gets the file has the private key" in result.stdout
    assert json.loads(cli("inspect", str(path), "--json").stdout)["p12"]["mode"] == "unprotected"


@pytest.mark.parametrize("option", ["--p12-password", "--password"])
def test_a_password_on_the_command_line_is_refused_without_echoing_it(tmp_path: Path, cli: CliRunner, option: str) -> None:
    result = cli("generate", "-w", str(tmp_path / "W"), "--server-cn", "x.test", option, "hunter2-secret")
    line = one_clear_line(result, 2)
    assert "hunter2-secret" not in result.stderr + result.stdout
    assert "--p12-password-file" in line and "MTLS_WIZARD_P12_PASSWORD" in line
    assert not (tmp_path / "W").exists()


def test_password_sources(tmp_path: Path, cli: CliRunner) -> None:
    base = ("generate", "-w", str(tmp_path / "W"), "--server-cn", "x.test", "--key-type", "ec-p256")
    # none at all, and no terminal to ask on
    assert "MTLS_WIZARD_P12_PASSWORD" in one_clear_line(cli(*base), 2)
    # empty
    assert "must not be empty" in one_clear_line(cli(*base, env={"MTLS_WIZARD_P12_PASSWORD": ""}), 2)
    (tmp_path / "empty").write_text("\n")
    assert "empty" in one_clear_line(cli(*base, "--p12-password-file", str(tmp_path / "empty")), 2)
    # unreadable: missing, a folder, not text
    assert "does not exist" in one_clear_line(cli(*base, "--p12-password-file", str(tmp_path / "missing")), 2)
    assert "cannot read" in one_clear_line(cli(*base, "--p12-password-file", str(tmp_path)), 2)
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00bad")
    assert "cannot read" in one_clear_line(cli(*base, "--p12-password-file", str(tmp_path / "binary")), 2)
    assert not (tmp_path / "W").exists()  # a bad password source fails before the workspace is made
    # the file wins over the environment
    (tmp_path / "pw").write_text("file password\nsecond line ignored\n")
    ok = cli(*base, "--p12-password-file", str(tmp_path / "pw"), env={"MTLS_WIZARD_P12_PASSWORD": "env password"})
    assert ok.returncode == 0, ok.stderr
    pki.load_p12((tmp_path / "W" / "client" / "client.p12").read_bytes(), "file password")


@pytest.mark.parametrize("where", ["proc", "parent-is-a-file", "sys"])
def test_generate_on_a_read_only_path(tmp_path: Path, cli: CliRunner, where: str) -> None:
    # Tests run as root, which ignores permission bits: these paths fail for root as well.
    if where == "proc":
        ws = "/proc/mtls-wizard-workspace"
    elif where == "sys":
        ws = "/sys/mtls-wizard-workspace"
    else:
        (tmp_path / "a-file").write_text("x")
        ws = str(tmp_path / "a-file" / "W")
    line = one_clear_line(cli("generate", "-w", ws, "--server-cn", "x.test", env=PASSWORD_ENV), 1)
    assert ws in line and "workspace" in line


# ---------------------------------------------------------------------------
# inspect
# ---------------------------------------------------------------------------


def test_inspect_certificate_text_and_json(cli: CliRunner, pki_workspace: Workspace) -> None:
    text = cli("inspect", str(pki_workspace.cert("server")))
    assert text.returncode == 0, text.stderr
    for words in ("Kind:         certificate", "Subject:      CN=localhost,O=ELB", "DNS:localhost, IP:127.0.0.1, IP:::1",
                  "serverAuth", "Is a CA:      no", "SHA-256:"):
        assert words in text.stdout
    as_json = cli("inspect", str(pki_workspace.cert("ca")), "--json")
    data = json.loads(as_json.stdout)
    assert data["kind"] == "certificate" and data["certificates"][0]["is_ca"] is True
    assert data["certificates"][0]["sha256_fingerprint"] == pki.fingerprint(pki.load_cert_pem(pki_workspace.cert("ca").read_bytes()))


def test_inspect_key_csr_and_p12(tmp_path: Path, cli: CliRunner, pki_workspace: Workspace) -> None:
    key = json.loads(cli("inspect", str(pki_workspace.key("client")), "--json").stdout)
    assert key["kind"] == "private key" and key["key_type"] == "ec-p256" and key["key_encrypted"] is False
    assert "PRIVATE" not in json.dumps(key)  # the summary never prints the key itself
    csr = json.loads(cli("inspect", str(pki_workspace.csr("server")), "--json").stdout)
    assert csr["kind"] == "CSR" and csr["csr_signature_valid"] is True
    password_file = tmp_path / "pw"
    password_file.write_text(P12_PASSWORD + "\n")
    p12 = cli("inspect", str(pki_workspace.p12), "--password-file", str(password_file))
    assert p12.returncode == 0, p12.stderr
    assert "Kind:         PKCS#12" in p12.stdout and "AES-256" in p12.stdout and "Name:         client" in p12.stdout
    assert P12_PASSWORD not in p12.stdout


def test_inspect_der_files(tmp_path: Path, cli: CliRunner, pki_workspace: Workspace) -> None:
    cert = pki.load_cert_pem(pki_workspace.cert("client").read_bytes())
    (tmp_path / "client.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    result = cli("inspect", str(tmp_path / "client.der"))
    assert result.returncode == 0 and "clientAuth" in result.stdout and "DER encoded" in result.stdout
    key = pki.load_key_pem(pki_workspace.key("client").read_bytes())
    (tmp_path / "key.der").write_bytes(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    assert "ec-p256" in cli("inspect", str(tmp_path / "key.der")).stdout
    csr = x509.load_pem_x509_csr(pki_workspace.csr("ca").read_bytes())
    (tmp_path / "ca.csr.der").write_bytes(csr.public_bytes(serialization.Encoding.DER))
    assert "Kind:         CSR" in cli("inspect", str(tmp_path / "ca.csr.der")).stdout


def test_inspect_bad_input(tmp_path: Path, cli: CliRunner, pki_workspace: Workspace) -> None:
    assert "does not exist" in one_clear_line(cli("inspect", str(tmp_path / "missing.crt")), 2)
    assert "folder" in one_clear_line(cli("inspect", str(tmp_path)), 2)
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01 not a certificate at all")
    assert "not a certificate, key, CSR or .p12" in one_clear_line(cli("inspect", str(tmp_path / "junk.bin")), 2)
    (tmp_path / "damaged.crt").write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    assert "damaged.crt" in one_clear_line(cli("inspect", str(tmp_path / "damaged.crt")), 2)
    (tmp_path / "wrong").write_text("not the password\n")
    line = one_clear_line(cli("inspect", str(pki_workspace.p12), "--password-file", str(tmp_path / "wrong")), 2)
    assert "wrong password" in line
    assert "--password-file" in one_clear_line(cli("inspect", str(pki_workspace.p12)), 2)
    assert "does not exist" in one_clear_line(cli("inspect", str(pki_workspace.p12), "--password-file", str(tmp_path / "nope")), 2)
    result = cli("inspect", str(pki_workspace.p12), "--password", P12_PASSWORD)
    one_clear_line(result, 2)
    assert P12_PASSWORD not in result.stderr


# ---------------------------------------------------------------------------
# script
# ---------------------------------------------------------------------------


def test_script_prints_the_modern_commands(cli: CliRunner, pki_workspace: Workspace) -> None:
    result = cli("script", "--workspace", str(pki_workspace.root))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "-sha1" not in text and "-sha256" in text
    assert "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1" in text
    assert "extendedKeyUsage = serverAuth" in text and "extendedKeyUsage = clientAuth" in text
    assert "basicConstraints = critical, CA:TRUE, pathlen:0" in text
    assert "AES-256-CBC" in text and "env:MTLS_WIZARD_P12_PASSWORD" in text
    assert "ec_paramgen_curve:P-256" in text
    assert P12_PASSWORD not in text


def test_script_without_certificates_is_a_clear_error(tmp_path: Path, cli: CliRunner) -> None:
    line = one_clear_line(cli("script", "--workspace", str(tmp_path / "empty")), 1)
    assert "generate" in line


def test_version_and_help(cli: CliRunner) -> None:
    assert cli("--version").stdout.startswith("mtls-wizard ")
    for command in ("generate", "inspect", "script"):
        result = cli(command, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout
    assert "--p12-password-file" in cli("generate", "--help").stdout


def test_the_password_is_asked_for_on_a_terminal_without_echo(tmp_path: Path, isolated_data_dir: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MTLS_WIZARD_P12_PASSWORD"}
    env["MTLS_WIZARD_DATA_DIR"] = str(isolated_data_dir)
    argv = ["generate", "-w", str(tmp_path / "W"), "--server-cn", "localhost", "--key-type", "ec-p256"]
    code, output = run_on_a_terminal(argv, ["typed secret 1", "typed secret 1"], env)
    assert code == 0, output
    assert "Password for client.p12" in output and "typed secret 1" not in output  # hidden
    pki.load_p12((tmp_path / "W" / "client" / "client.p12").read_bytes(), "typed secret 1")
    # two different answers: refused, nothing replaced
    code, output = run_on_a_terminal([*argv[:2], str(tmp_path / "W2"), *argv[3:]], ["one password", "another one"], env)
    assert code == 2 and "differ" in output and "Traceback" not in output
    assert not (tmp_path / "W2" / "client" / "client.p12").exists()


def test_an_unwritable_session_folder_costs_a_warning_not_the_work(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "a-file").write_text("x")
    result = cli("generate", "-w", str(tmp_path / "W"), "--server-cn", "localhost", "--key-type", "ec-p256",
                 env={**PASSWORD_ENV, "MTLS_WIZARD_DATA_DIR": str(tmp_path / "a-file" / "data")})
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert "warning" in line and "session could not be saved" in line and "Traceback" not in result.stderr
    assert (tmp_path / "W" / "client" / "client.p12").exists()


def test_generate_in_a_checkout_says_the_workspace_keeps_out_of_git(tmp_path: Path, cli: CliRunner) -> None:
    """A workspace made inside a git checkout (as the wizard's default ./mtls-workspace is): it ignores itself, and says so."""
    import subprocess

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    result = cli("generate", "-w", "mtls-workspace", "--server-cn", "localhost", "--key-type", "ec-p256", env=PASSWORD_ENV, cwd=checkout)
    assert result.returncode == 0, result.stderr
    workspace = checkout / "mtls-workspace"
    assert (f"mtls-wizard: warning: the new workspace {workspace} lies inside the git work tree {checkout}: "
            "its own .gitignore (*) keeps its keys and certificates out of git") in result.stderr.splitlines()
    status = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True, check=True)
    assert status.stdout == ""
    again = cli("generate", "-w", "mtls-workspace", "--server-cn", "localhost", "--key-type", "ec-p256", "--force", env=PASSWORD_ENV, cwd=checkout)
    assert again.returncode == 0 and "git work tree" not in again.stderr  # only a new workspace says it
