"""`mtls-wizard script` really runs: bash + openssl rebuild a PKI with the same profile, strictly valid."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki
from cryptography import x509
from cryptography.x509.oid import NameOID

from wizard import pki, script
from wizard.session import Session
from wizard.workspace import Workspace

SCRIPT_PASSWORD = "script password 42"


def need(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


def run_script(cli, ws: Workspace, target: Path) -> subprocess.CompletedProcess:  # noqa: ANN001 - the cli fixture
    printed = cli("script", "--workspace", str(ws.root))
    assert printed.returncode == 0, printed.stderr
    script_file = target.parent / f"{target.name}.sh"
    script_file.write_text(printed.stdout)
    return subprocess.run([need("bash"), str(script_file), str(target)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MTLS_WIZARD_P12_PASSWORD": SCRIPT_PASSWORD})


def strict_verify(target: Path, role: str, purpose: str) -> subprocess.CompletedProcess:
    return subprocess.run([need("openssl"), "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(target / "ca" / "ca.crt"),
                           str(target / role / f"{role}.crt")], capture_output=True, text=True, timeout=60)


def profile_facts(cert_path: Path) -> dict[str, object]:
    """What the two PKIs must share (everything but keys, serials, dates and fingerprints)."""
    summary = pki.summarise_certificate(pki.load_cert_pem(cert_path.read_bytes()))
    cert = pki.load_cert_pem(cert_path.read_bytes())
    return {
        "subject": summary.subject, "issuer": summary.issuer, "sans": summary.sans, "key_usage": summary.key_usage,
        "eku": summary.extended_key_usage, "key_type": summary.key_type, "hash": summary.signature_hash,
        "is_ca": summary.is_ca, "version": summary.version,
        "days": round((cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds() / 86400),
        "extensions": sorted((e.oid.dotted_string, e.critical) for e in cert.extensions),
    }


CASES = {
    "rsa-dns": dict(server_cn="www.test.com", sans=("api.test.com", "10.9.8.7"), key_type="rsa2048"),
    "ec-ip": dict(server_cn="192.0.2.44", sans=(), key_type="ec-p256", p12_legacy=True),
    "p384-ipv6": dict(server_cn="2001:db8::44", sans=("*.test.com",), key_type="ec-p384", org="Acme", client_cn="alice"),
    # characters an OpenSSL config file would read as a variable, a comment or quoting
    "awkward-subjects": dict(server_cn="www.test.com", sans=(), key_type="ec-p256", org='R&D $HOME #1 "Lab"',
                             client_cn="O'Brien \\ laptop", ca_cn="Ünïcode CA = 100%"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_rebuilds_a_strictly_valid_pki_with_the_same_profile(tmp_path: Path, cli, case: str) -> None:  # noqa: ANN001
    ws = make_pki(tmp_path / "wizard-ws", **CASES[case])
    target = tmp_path / "from-script"
    result = run_script(cli, ws, target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PKI written to" in result.stdout

    assert strict_verify(target, "server", "sslserver").returncode == 0
    assert strict_verify(target, "client", "sslclient").returncode == 0
    refused = strict_verify(target, "client", "sslserver")
    assert refused.returncode != 0 and "unsuitable certificate purpose" in refused.stdout + refused.stderr

    # the same profile as what the wizard made
    for role in ("ca", "server", "client"):
        assert profile_facts(target / role / f"{role}.crt") == profile_facts(ws.cert(role)), role
        assert (target / role / f"{role}.csr").exists()
        assert stat.S_IMODE((target / role / f"{role}.key").stat().st_mode) == 0o600
    if case == "ec-ip":
        assert pki.san_strings(pki.load_cert_pem((target / "server" / "server.crt").read_bytes())) == ["IP:192.0.2.44"]

    # the .p12 opens with the password and is protected like the wizard's
    p12 = (target / "client" / "client.p12").read_bytes()
    assert stat.S_IMODE((target / "client" / "client.p12").stat().st_mode) == 0o600
    bundle = pki.load_p12(p12, SCRIPT_PASSWORD)
    assert bundle.key is not None and pki.keys_match(bundle.key, bundle.cert.certificate)
    assert pki.p12_protection(p12)["mode"] == pki.p12_protection(ws.p12.read_bytes())["mode"]


def test_the_script_never_overwrites_keys(tmp_path: Path, cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    target = tmp_path / "pki"
    assert run_script(cli, pki_workspace, target).returncode == 0
    key = (target / "server" / "server.key").read_bytes()
    again = run_script(cli, pki_workspace, target)
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr
    assert (target / "server" / "server.key").read_bytes() == key


def test_the_script_needs_the_password_from_the_environment(tmp_path: Path, cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    printed = cli("script", "--workspace", str(pki_workspace.root)).stdout
    env = {k: v for k, v in os.environ.items() if k != "MTLS_WIZARD_P12_PASSWORD"}
    result = subprocess.run([need("bash"), "-c", printed, "script", str(tmp_path / "pki")], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0 and "MTLS_WIZARD_P12_PASSWORD" in result.stderr
    assert not (tmp_path / "pki").exists()


def test_script_from_the_session_alone_matches_the_workspace(pki_workspace: Workspace) -> None:
    """Before anything is issued (the TUI's teaching panels) the session gives the same profile."""
    session = Session(workspace=str(pki_workspace.root), server_cn="localhost", server_sans=["127.0.0.1", "::1"],
                      ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    assert script.profile_from_session(session) == script.profile_from_workspace(pki_workspace, session)
    assert script.profile_from_workspace(pki_workspace) == script.profile_from_workspace(pki_workspace, session)


def test_the_script_uses_the_workspace_password_variable_not_the_password(cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    text = cli("script", "--workspace", str(pki_workspace.root)).stdout
    assert P12_PASSWORD not in text and "-passout env:MTLS_WIZARD_P12_PASSWORD" in text


# ---------------------------------------------------------------------------
# Hostile certificate text can never become shell or config syntax (item 4)
# ---------------------------------------------------------------------------

def hostile_cert(org: str, cn: str, dns_names: tuple[str, ...] = ()) -> bytes:
    """A certificate carrying whatever subject and SANs its maker chose (self-signed, EC P-256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = pki.utc_now()
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=100)))
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
    return pki.cert_to_pem(builder.sign(key, hashes.SHA256()))


def planted(tmp_path: Path) -> list[Path]:
    """Files the injected commands would have made (they all start with PWNED)."""
    return list(tmp_path.rglob("PWNED*"))


def run_printed_script(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "printed.sh").write_text(text)
    return subprocess.run([need("bash"), "printed.sh", "pki"], cwd=run_dir, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MTLS_WIZARD_P12_PASSWORD": SCRIPT_PASSWORD})


BREAKOUT = "\nCONF\ntouch PWNED-{0}\ncat > /dev/null <<'CONF'\n"
NEWLINE_CASES = {
    "ca-org": ("ca", dict(org="ELB" + BREAKOUT.format("ca"), cn="Root")),
    "server-san": ("server", dict(org="ELB", cn="www.test.com", dns_names=("www.test.com" + BREAKOUT.format("san"),))),
    "client-cn": ("client", dict(org="ELB", cn="alice\n$(touch PWNED-cn)")),
    "ca-cn-carriage-return": ("ca", dict(org="ELB", cn="Root\r\nCONF\r\ntouch PWNED-cr")),
}


@pytest.mark.parametrize("case", list(NEWLINE_CASES))
def test_a_line_break_in_certificate_text_is_refused_and_nothing_runs(tmp_path: Path, cli, pki_workspace: Workspace, case: str) -> None:  # noqa: ANN001
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    role, fields = NEWLINE_CASES[case]
    ws.cert(role).write_bytes(hostile_cert(**fields))  # type: ignore[arg-type]
    printed = cli("script", "--workspace", str(ws.root))
    if printed.stdout:  # whatever was printed, running it must not run the planted command
        run_printed_script(tmp_path, printed.stdout)
    assert planted(tmp_path) == []
    assert printed.returncode == 2 and printed.stdout == "", printed.stdout
    assert f"{role}/{role}.crt" in printed.stderr and len(printed.stderr.splitlines()) == 1
    assert "\\x0a" in printed.stderr or "\\n" in printed.stderr or "\\r" in printed.stderr  # quoted, escaped


def test_shell_and_heredoc_syntax_in_subjects_is_reproduced_as_plain_text(tmp_path: Path, cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    ca_cn, ca_org = "$(touch PWNED-1) `touch PWNED-2` CONF", "ELB; touch PWNED-3 # 'CONF' \"CONF\" ${HOME}"
    ws.cert("ca").write_bytes(hostile_cert(ca_org, ca_cn))
    ws.cert("client").write_bytes(hostile_cert("ELB", "CONF"))  # the delimiter itself, alone on its value
    printed = cli("script", "--workspace", str(ws.root))
    assert printed.returncode == 0, printed.stderr
    result = run_printed_script(tmp_path, printed.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert planted(tmp_path) == []
    target = tmp_path / "run" / "pki"
    ca = pki.load_cert_pem((target / "ca" / "ca.crt").read_bytes())
    assert pki.cn_of(ca.subject) == ca_cn and pki.attribute_of(ca.subject, NameOID.ORGANIZATION_NAME) == ca_org
    assert pki.cn_of(pki.load_cert_pem((target / "client" / "client.crt").read_bytes()).subject) == "CONF"


def test_a_workspace_path_with_a_line_break_stays_a_comment(tmp_path: Path, cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    ws = Workspace(tmp_path / "ws\ntouch PWNED-path\n")
    shutil.copytree(pki_workspace.root, ws.root)
    printed = cli("script", "--workspace", str(ws.root))
    assert printed.returncode == 0, printed.stderr
    result = run_printed_script(tmp_path, printed.stdout)
    assert result.returncode == 0, result.stderr
    assert planted(tmp_path) == []


def test_a_san_that_is_not_a_host_name_is_refused(tmp_path: Path, cli, pki_workspace: Workspace) -> None:  # noqa: ANN001
    """A comma would add a SAN of the attacker's choosing to the config line."""
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    ws.cert("server").write_bytes(hostile_cert("ELB", "www.test.com", ("www.test.com, DNS:evil.test",)))
    printed = cli("script", "--workspace", str(ws.root))
    assert printed.returncode == 2 and printed.stdout == "" and "server/server.crt" in printed.stderr


def test_the_script_carries_named_clients_and_revocations_where_the_workspace_has_them(tmp_path: Path, cli) -> None:  # noqa: ANN001
    from wizard import clients

    ws = make_pki(tmp_path / "ws")
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p384", days=90, legacy_p12=True))
    clients.revoke(ws, "bob", "keyCompromise")
    target = tmp_path / "pki"
    ran = run_script(cli, ws, target)
    assert ran.returncode == 0, ran.stderr
    for name in ("alice", "bob"):
        cert = target / "clients" / name / f"{name}.crt"
        verified = subprocess.run([need("openssl"), "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", str(target / "ca" / "ca.crt"),
                                   str(cert)], capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        facts = profile_facts(cert)
        assert facts["key_type"] == "ec-p384" and facts["days"] == 90
        assert pki.p12_protection(cert.with_suffix(".p12").read_bytes())["mode"] == "legacy"
    crl = x509.load_pem_x509_crl((target / "ca" / "crl.pem").read_bytes())
    bob = x509.load_pem_x509_certificate((target / "clients" / "bob" / "bob.crt").read_bytes())
    alice = x509.load_pem_x509_certificate((target / "clients" / "alice" / "alice.crt").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(bob.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(alice.serial_number) is None
    again = run_script(cli, ws, target)  # named clients' keys are never overwritten either
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr


def test_a_workspace_without_named_clients_gets_no_client_section(pki_workspace: Workspace) -> None:
    text = script.full_script(script.profile_from_workspace(pki_workspace))
    assert "A named client" not in text and "openssl ca" not in text
