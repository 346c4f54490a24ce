"""Hostile files and unusable CAs, through the real `mtls-wizard` command.

- a reused CA that cannot sign any more (expired, not yet valid, SHA-1/MD5, no keyCertSign)
  is refused with its dates and the way out, before anything is written;
- text from a file reaches the terminal escaped (ESC, BEL, bidi), never raw;
- what `inspect` reads is bounded: no FIFO hang, no /dev/zero flood, no 200 MB read.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, console_script, make_pki
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wizard import pki
from wizard.workspace import MAX_FILE_BYTES, SECRET_MODE, Workspace, atomic_write

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
GENERATE = ("generate", "--server-cn", "localhost", "--key-type", "ec-p256")


def one_line(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def raw_terminal_controls(text: str) -> list[str]:
    """Characters that would act on a terminal (newline and tab aside)."""
    return [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) < 0xA0 or ch in "\u202e\u2066"]


# ---------------------------------------------------------------------------
# Item 3: a CA that can no longer sign is not reused silently
# ---------------------------------------------------------------------------

NOW = dt.datetime.now(dt.timezone.utc)


def odd_ca(*, start: dt.datetime, end: dt.datetime, cert_sign: bool = True, subject_cn: str = "Odd CA") -> tuple[pki.PrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ELB"), x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    usage = x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def install_ca(root: Path, key: pki.PrivateKey, cert: x509.Certificate) -> Workspace:
    ws = Workspace(root)
    ws.ensure()
    atomic_write(ws.key("ca"), pki.key_to_pem(key), SECRET_MODE)  # a key others can read is refused
    ws.cert("ca").write_bytes(pki.cert_to_pem(cert))
    return ws


UNUSABLE = {
    "expired": (dict(start=NOW - dt.timedelta(days=400), end=NOW - dt.timedelta(days=35)), "expired on"),
    "not-yet-valid": (dict(start=NOW + dt.timedelta(days=30), end=NOW + dt.timedelta(days=400)), "is not valid before"),
    "no-keycertsign": (dict(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=400), cert_sign=False), "keyCertSign"),
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_ca_is_refused_not_reused(tmp_path: Path, cli: CliRunner, case: str) -> None:
    options, words = UNUSABLE[case]
    key, cert = odd_ca(**options)  # type: ignore[arg-type]
    ws = install_ca(tmp_path / "ws", key, cert)
    line = one_line(cli(*GENERATE, "--workspace", str(ws.root), env=PASSWORD_ENV), 1)
    assert words in line and "--new-ca" in line and "ca/ca.crt" in line
    if case in ("expired", "not-yet-valid"):
        assert f"{cert.not_valid_before_utc:%Y-%m-%d}" in line and f"{cert.not_valid_after_utc:%Y-%m-%d}" in line
    assert not ws.cert("server").exists() and not ws.cert("client").exists()
    # the way out works: a new CA, the odd one kept in the backup
    fresh = cli(*GENERATE, "--workspace", str(ws.root), "--new-ca", env=PASSWORD_ENV)
    assert fresh.returncode == 0, fresh.stderr
    (backup,) = ws.root.glob("backup-*")
    assert (backup / "ca" / "ca.crt").read_bytes() == pki.cert_to_pem(cert)


def need(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


@pytest.mark.parametrize("digest", ["sha1", "md5"])
def test_a_weakly_signed_ca_is_refused(tmp_path: Path, cli: CliRunner, digest: str) -> None:
    """Made by openssl itself, as the tutorial's `-sha1` commands did (our library refuses to sign so)."""
    ws = Workspace(tmp_path / "ws")
    ws.ensure()
    openssl = need("openssl")
    subprocess.run([openssl, "genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(ws.key("ca"))], check=True)
    subprocess.run([openssl, "req", "-x509", "-new", f"-{digest}", "-key", str(ws.key("ca")), "-subj", "/O=ELB/CN=Old CA", "-days", "400",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-out", str(ws.cert("ca"))], check=True, capture_output=True)
    line = one_line(cli(*GENERATE, "--workspace", str(ws.root), env=PASSWORD_ENV), 1)
    assert f"is signed with {digest.upper().replace('SHA1', 'SHA-1')}" in line and "--new-ca" in line
    assert not ws.cert("server").exists()


def test_a_usable_ca_has_no_problem_and_the_check_uses_the_given_time() -> None:
    _, cert = odd_ca(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=10))
    assert pki.ca_signing_problem(cert) is None
    assert "expired on" in (pki.ca_signing_problem(cert, now=NOW + dt.timedelta(days=11)) or "")


def test_leaf_steps_refuse_an_expired_ca_too(tmp_path: Path) -> None:
    """The TUI's step-2/3 path (steps.issue_server) loads the CA the same way."""
    from wizard import steps
    from wizard.errors import WizardError
    from wizard.session import Session

    key, cert = odd_ca(**UNUSABLE["expired"][0])  # type: ignore[arg-type]
    ws = install_ca(tmp_path / "ws", key, cert)
    with pytest.raises(WizardError, match="expired on .*--new-ca"):
        steps.issue_server(ws, Session(workspace=str(ws.root), server_cn="localhost", server_key_type="ec-p256"))
    assert not ws.key("server").exists()


# ---------------------------------------------------------------------------
# Item 5: text from files is escaped before it reaches the terminal
# ---------------------------------------------------------------------------

HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\u202eCA"


def test_inspect_escapes_control_characters_from_the_certificate(tmp_path: Path, cli: CliRunner) -> None:
    key, cert = odd_ca(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=400), subject_cn=HOSTILE)
    path = tmp_path / "evil.crt"
    path.write_bytes(pki.cert_to_pem(cert))
    result = cli("inspect", str(path))
    assert result.returncode == 0, result.stderr
    assert raw_terminal_controls(result.stdout) == []
    assert "Evil\\x1b]0\\;pwned\\x07\\x1b[2J\\u202eCA" in result.stdout  # shown, not obeyed (";" is RFC 4514's escape)
    as_json = cli("inspect", str(path), "--json")
    assert raw_terminal_controls(as_json.stdout) == [] and "\\u001b" in as_json.stdout


def test_a_file_name_with_control_characters_is_escaped_too(tmp_path: Path, cli: CliRunner) -> None:
    key, cert = odd_ca(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=400))
    path = tmp_path / "name\x1b[31mred.crt"
    path.write_bytes(pki.cert_to_pem(cert))
    result = cli("inspect", str(path))
    assert result.returncode == 0 and raw_terminal_controls(result.stdout) == []
    missing = cli("inspect", str(tmp_path / "gone\x07.crt"))
    assert missing.returncode == 2 and raw_terminal_controls(missing.stderr) == []


def test_generate_escapes_a_reused_cas_subject(tmp_path: Path, cli: CliRunner) -> None:
    key, cert = odd_ca(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(days=4000), subject_cn=HOSTILE)
    ws = install_ca(tmp_path / "ws", key, cert)
    result = cli(*GENERATE, "--workspace", str(ws.root), env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    assert "reused" in result.stdout and "Evil\\x1b]0\\;pwned\\x07" in result.stdout
    assert raw_terminal_controls(result.stdout) == [] and raw_terminal_controls(result.stderr) == []
    assert "the existing CA is kept as it is" in result.stderr  # the warning quotes the subject, escaped


# ---------------------------------------------------------------------------
# Item 7: bounded reading
# ---------------------------------------------------------------------------


def bounded(cli: CliRunner, *args: str) -> subprocess.CompletedProcess:
    """Run a command that used to hang or eat memory; a hang fails the test (TimeoutExpired).
    How fast the refusal is, is measured outside the tests."""
    return cli(*args, timeout=30)


def test_inspect_refuses_a_fifo_at_once(tmp_path: Path, cli: CliRunner) -> None:
    fifo = tmp_path / "pipe.crt"
    os.mkfifo(fifo)
    assert "named pipe" in one_line(bounded(cli, "inspect", str(fifo)), 2)


def test_inspect_refuses_a_device(cli: CliRunner) -> None:
    assert "a device, not a file" in one_line(bounded(cli, "inspect", "/dev/zero"), 2)


def test_inspect_refuses_a_huge_file_without_reading_it(tmp_path: Path, cli: CliRunner) -> None:
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    assert "over 1024 KiB" in one_line(bounded(cli, "inspect", str(huge)), 2)
    just_over = tmp_path / "just-over.pem"
    just_over.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"A" * MAX_FILE_BYTES)
    assert "over 1024 KiB" in one_line(cli("inspect", str(just_over)), 2)


def test_password_files_are_bounded_but_a_pipe_still_works(tmp_path: Path, cli: CliRunner) -> None:
    base = (*GENERATE, "--workspace", str(tmp_path / "ws"))
    assert "a device, not a file" in one_line(cli(*base, "--p12-password-file", "/dev/zero"), 2)
    fifo = tmp_path / "no-writer"
    os.mkfifo(fifo)
    assert "is empty" in one_line(bounded(cli, *base, "--p12-password-file", str(fifo)), 2)  # nobody writes: no hang
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    command = 'exec "$0" "$@" --p12-password-file <(printf "%s\\n" "piped secret")'
    piped = subprocess.run([bash, "-c", command, console_script(), *base], capture_output=True, text=True, timeout=60,
                           env={**os.environ}, stdin=subprocess.DEVNULL)
    assert piped.returncode == 0, piped.stderr
    assert pki.load_p12(Workspace(tmp_path / "ws").p12.read_bytes(), "piped secret").key is not None


def test_fifos_in_the_workspace_do_not_hang_status_or_the_client_list(tmp_path: Path, cli: CliRunner) -> None:
    """What ELB holds (elb/uploaded.json) and a named client's certificate: read by `status`,
    `client list`, the welcome page and the summary, so a pipe there must be reported, not waited on."""
    ws = make_pki(tmp_path / "ws")
    issued = cli("client", "issue", "--workspace", str(ws.root), "bob", env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert issued.returncode == 0, issued.stderr
    bob = ws.root / "clients" / "bob" / "bob.crt"
    bob.unlink()
    os.mkfifo(bob)
    os.mkfifo(ws.elb_dir / "uploaded.json")

    status = bounded(cli, "status", "--workspace", str(ws.root))  # bob's set is broken: a finding, exit 1
    assert status.returncode == 1 and "Traceback" not in status.stderr, status.stderr
    assert "the client bob is broken" in status.stderr and "named pipe" in status.stderr
    assert "elb/uploaded.json cannot be read" in status.stderr
    listed = bounded(cli, "client", "list", "--workspace", str(ws.root))
    assert listed.returncode == 0 and "bob is broken" in listed.stderr and "named pipe" in listed.stderr, listed.stderr
    assert "broken" in next(line for line in listed.stdout.splitlines() if line.startswith("bob"))


def test_a_fifo_in_the_workspace_does_not_hang_script(tmp_path: Path, cli: CliRunner, pki_workspace: Workspace) -> None:
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    ws.cert("server").unlink()
    os.mkfifo(ws.cert("server"))
    assert "named pipe" in one_line(bounded(cli, "script", "--workspace", str(ws.root)), 2)
