"""`mtls-wizard check` as a real process: exit codes, output, --json, bad addresses."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.nginx_server import NginxServer, require_nginx

from wizard.practice import PracticeLoadBalancer
from wizard.session import SessionStore
from wizard.workspace import Workspace


@pytest.fixture
def enforcing(pki_workspace: Workspace) -> Iterator[PracticeLoadBalancer]:
    with PracticeLoadBalancer(pki_workspace) as server:
        yield server


def test_pass_exits_0_with_a_table_and_one_verdict_line(cli, pki_workspace: Workspace, enforcing: PracticeLoadBalancer, isolated_data_dir: Path) -> None:
    result = cli("check", enforcing.address, "--workspace", str(pki_workspace.root), "--timeout", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("PASS:")
    assert any("with our client certificate" in line and "accepted" in line for line in lines)
    assert any("without a client certificate" in line and "rejected" in line for line in lines)
    assert any("foreign CA" in line and "rejected" in line for line in lines)
    assert result.stderr == ""
    # The result lands in the session for the wizard's summary.
    session = SessionStore(isolated_data_dir).load(pki_workspace.root)
    assert session is not None and session.last_verdict["status"] == "pass" and 7 in session.steps_done
    assert session.lb_port == enforcing.port
    # The same shape as the wizard saves; the default name is not pinned (it follows the server CN).
    assert session.last_verdict["attempts"] and session.last_verdict["sni"] == "localhost" and session.sni == ""


def test_json_shape(cli, pki_workspace: Workspace, enforcing: PracticeLoadBalancer) -> None:
    result = cli("check", f"https://{enforcing.address}", "-w", str(pki_workspace.root), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"status", "passed", "summary", "diagnosis", "attempts", "tls_version", "cipher", "server_certificate",
            "accepted_client_cas", "sni", "address"} <= set(data)
    assert data["status"] == "pass" and data["passed"] is True
    assert [a["name"] for a in data["attempts"]] == ["with_client_cert", "without_client_cert", "foreign_client_cert"]
    assert set(data["attempts"][0]) >= {"name", "label", "outcome", "detail", "ok"}
    assert {"subject", "sans", "issuer", "not_after", "fingerprint", "is_workspace_cert", "verifies_against_ca", "matches_sni"} <= set(data["server_certificate"])


def test_one_way_tls_exits_1_and_says_not_enforced(cli, pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, request_client_cert=False) as server:
        result = cli("check", server.address, "-w", str(pki_workspace.root))
    assert result.returncode == 1
    assert "not enforced" in result.stdout.splitlines()[-1]


def test_closed_port_exits_1(cli, pki_workspace: Workspace) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        result = cli("check", f"127.0.0.1:{sock.getsockname()[1]}", "-w", str(pki_workspace.root), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "unreachable"


def test_silent_server_exits_1_within_the_timeout(cli, pki_workspace: Workspace) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        result = cli("check", f"127.0.0.1:{sock.getsockname()[1]}", "-w", str(pki_workspace.root), "--timeout", "0.3", timeout=30)
    assert result.returncode == 1
    assert "UNREACHABLE" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("address", "fragment"),
    [("not-a-port", "no port"), ("host:99999", "out of range"), ("", "no address"), ("[::1:443", "never closes"), ("http://h:80", "plain HTTP")],
)
def test_bad_addresses_exit_2_with_one_clear_line(cli, pki_workspace: Workspace, address: str, fragment: str) -> None:
    result = cli("check", address, "-w", str(pki_workspace.root))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mtls-wizard: error:") and fragment in lines[0]


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--timeout", "soon"], ["--trust", "everyone"]])
def test_bad_options_exit_2(cli, pki_workspace: Workspace, option: list[str]) -> None:
    result = cli("check", "127.0.0.1:443", "-w", str(pki_workspace.root), *option)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_missing_workspace_exits_1_naming_the_fix(cli, tmp_path: Path) -> None:
    result = cli("check", "127.0.0.1:443", "-w", str(tmp_path / "missing"))
    assert result.returncode == 1
    assert "mtls-wizard generate" in result.stderr and "Traceback" not in result.stderr


def test_insecure_and_sni_options(cli, pki_workspace: Workspace, enforcing: PracticeLoadBalancer) -> None:
    wrong = cli("check", enforcing.address, "-w", str(pki_workspace.root), "--sni", "wrong.example")
    ignored = cli("check", enforcing.address, "-w", str(pki_workspace.root), "--sni", "wrong.example", "--insecure")
    assert wrong.returncode == 1 and "did not verify: it does not cover the name 'wrong.example'" in wrong.stdout
    assert wrong.stdout.count("FAIL:") == 1
    assert ignored.returncode == 0, ignored.stdout
    assert "(server not verified: --insecure)" in ignored.stdout.splitlines()[-1]
    as_json = json.loads(cli("check", enforcing.address, "-w", str(pki_workspace.root), "--insecure", "--json").stdout)
    assert as_json["passed"] is True and as_json["server_verification"] == "not_verified"


@pytest.mark.nginx
def test_check_against_real_nginx(cli, pki_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "on", verify_client="on") as on, NginxServer(pki_workspace, tmp_path / "off", verify_client="off") as off:
        enforced = cli("check", on.address, "-w", str(pki_workspace.root))
        one_way = cli("check", off.address, "-w", str(pki_workspace.root))
    assert enforced.returncode == 0, enforced.stdout
    assert "CN=ELB mTLS Root CA,O=ELB (ours among them)" in enforced.stdout
    assert one_way.returncode == 1 and "not enforced" in one_way.stdout


@pytest.mark.parametrize("name", ["bad name", "*.example.com", "a..b"])
def test_bad_sni_exits_2_before_any_connection(cli, pki_workspace: Workspace, name: str) -> None:
    result = cli("check", "127.0.0.1:9", "-w", str(pki_workspace.root), "--sni", name)
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr.startswith("mtls-wizard: error: --sni")


# ---------------------------------------------------------------------------
# Text from a hostile server reaches the terminal escaped, the JSON faithful
# ---------------------------------------------------------------------------

HOSTILE_CA = "Evil\x1b]0;owned\x07 CA"
HOSTILE_CN = "evil\x1b[2J\x1b[1;1H"
HOSTILE_SAN = "x\x1b[31m.example"
RAW_CONTROLS = ("\x1b", "\x07")


def hostile_server_certificate(folder: Path) -> tuple[Path, Path]:
    """A server certificate (and key) from a made-up CA, with ESC and BEL in every name."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE_CA)])
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTILE_CN)])).issuer_name(issuer)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOSTILE_SAN)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "hostile.crt", folder / "hostile.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def test_control_characters_in_the_server_certificate_are_shown_escaped(cli, pki_workspace: Workspace, tmp_path: Path) -> None:
    files = hostile_server_certificate(tmp_path / "hostile")
    with PracticeLoadBalancer(pki_workspace, cert_files=files) as server:
        shown = cli("check", server.address, "-w", str(pki_workspace.root), "--timeout", "5")
        raw = cli("check", server.address, "-w", str(pki_workspace.root), "--timeout", "5", "--json")
    assert shown.returncode == 1 and raw.returncode == 1
    assert not any(control in shown.stdout for control in RAW_CONTROLS)
    assert "server cert  CN=evil\\x1b[2J\\x1b[1\\;1H" in shown.stdout  # RFC 4514 escapes the ';' itself
    assert "DNS:x\\x1b[31m.example" in shown.stdout and "Evil\\x1b]0\\;owned\\x07 CA" in shown.stdout
    # The JSON keeps the names exactly as the server sent them (json escapes them itself).
    data = json.loads(raw.stdout)
    assert data["server_certificate"]["sans"] == [f"DNS:{HOSTILE_SAN}"]
    assert "\x1b[2J" in data["server_certificate"]["subject"] and "\x07" in data["server_certificate"]["issuer"]
    assert not any(control in raw.stdout for control in RAW_CONTROLS)


def test_control_characters_in_a_status_line_are_shown_escaped(cli, pki_workspace: Workspace) -> None:
    status = "HTTP/1.1 200 \x1b]0;owned\x07\x1b[2JOK"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki_workspace.cert("server"), pki_workspace.key("server"))
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_everyone() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    tls.recv(4096)
                    tls.sendall(f"{status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode("latin-1"))
            except OSError:
                pass

    threading.Thread(target=answer_everyone, daemon=True).start()
    try:
        shown = cli("check", f"127.0.0.1:{listener.getsockname()[1]}", "-w", str(pki_workspace.root), "--timeout", "5")
    finally:
        listener.close()
    assert shown.returncode == 1  # one-way TLS: not enforced
    assert not any(control in shown.stdout for control in RAW_CONTROLS)
    assert "HTTP/1.1 200 \\x1b]0;owned\\x07\\x1b[2JOK" in shown.stdout


def test_without_pyopenssl_check_says_what_to_install(pki_workspace: Workspace, isolated_data_dir: Path) -> None:
    import os
    import subprocess
    import sys

    code = "import sys; sys.modules['OpenSSL'] = None; from wizard.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, "check", "127.0.0.1:9", "-w", str(pki_workspace.root)],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                            env={**os.environ, "MTLS_WIZARD_DATA_DIR": str(isolated_data_dir)})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == ("mtls-wizard: error: the handshake test needs pyOpenSSL, which is not installed here: "
                                     "reinstall mtls-wizard (pip install mtls-wizard) or pip install 'pyOpenSSL>=26.3'")
