"""Generated material checked by tools we did not write: OpenSSL, pkilint, Java keytool, NSS.

Each test skips when its tool is missing on this machine, but fails instead when CI=true:
in CI the tools are installed by .ci/run and a skip would hide a real gap.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki
from support.tools import run, tool

from wizard.workspace import Workspace


@pytest.fixture(scope="module")
def rsa_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The issue's own example: RSA-2048 (the default), www.test.com, modern .p12."""
    return make_pki(tmp_path_factory.mktemp("rsa") / "W", server_cn="www.test.com", sans=(), key_type="rsa2048")


@pytest.fixture(scope="module")
def legacy_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """P-384 keys, an IP address as the server CN, legacy .p12."""
    return make_pki(tmp_path_factory.mktemp("legacy") / "W", server_cn="192.0.2.10", sans=("www.test.com",),
                    key_type="ec-p384", p12_legacy=True)


WORKSPACES = ["pki_workspace", "rsa_workspace", "legacy_workspace"]


@pytest.fixture(params=WORKSPACES)
def any_workspace(request: pytest.FixtureRequest) -> Workspace:
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------------------
# openssl verify -x509_strict
# ---------------------------------------------------------------------------


def verify(ws: Workspace, role: str, purpose: str) -> subprocess.CompletedProcess:
    return run(tool("openssl"), "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(ws.cert("ca")), str(ws.cert(role)))


def test_strict_verify_accepts_the_server_as_server_and_the_client_as_client(any_workspace: Workspace) -> None:
    server = verify(any_workspace, "server", "sslserver")
    assert server.returncode == 0 and server.stdout.strip().endswith(": OK"), server.stdout + server.stderr
    client = verify(any_workspace, "client", "sslclient")
    assert client.returncode == 0 and client.stdout.strip().endswith(": OK"), client.stdout + client.stderr


def test_strict_verify_refuses_the_client_certificate_as_a_server(any_workspace: Workspace) -> None:
    result = verify(any_workspace, "client", "sslserver")
    assert result.returncode != 0
    assert "unsuitable certificate purpose" in result.stdout + result.stderr


def test_strict_verify_refuses_the_server_certificate_as_a_client(any_workspace: Workspace) -> None:
    result = verify(any_workspace, "server", "sslclient")
    assert result.returncode != 0
    assert "unsuitable certificate purpose" in result.stdout + result.stderr


def test_strict_verify_refuses_another_ca(pki_workspace: Workspace, foreign_workspace: Workspace) -> None:
    result = run(tool("openssl"), "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile",
                 str(foreign_workspace.cert("ca")), str(pki_workspace.cert("server")))
    assert result.returncode != 0


def test_openssl_checks_the_server_name_and_ip(rsa_workspace: Workspace, legacy_workspace: Workspace) -> None:
    openssl = tool("openssl")
    base = ["verify", "-x509_strict", "-purpose", "sslserver"]
    ok = run(openssl, *base, "-verify_hostname", "www.test.com", "-CAfile", str(rsa_workspace.cert("ca")), str(rsa_workspace.cert("server")))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = run(openssl, *base, "-verify_hostname", "www.other.com", "-CAfile", str(rsa_workspace.cert("ca")), str(rsa_workspace.cert("server")))
    assert wrong.returncode != 0
    # an IP CN became an IP SAN, which is what clients match an address against
    ip = run(openssl, *base, "-verify_ip", "192.0.2.10", "-CAfile", str(legacy_workspace.cert("ca")), str(legacy_workspace.cert("server")))
    assert ip.returncode == 0, ip.stdout + ip.stderr


def test_openssl_reads_the_profile_as_intended(rsa_workspace: Workspace) -> None:
    text = run(tool("openssl"), "x509", "-in", str(rsa_workspace.cert("server")), "-noout", "-text").stdout
    assert "Version: 3 (0x2)" in text and "sha256WithRSAEncryption" in text
    assert "DNS:www.test.com" in text and "TLS Web Server Authentication" in text
    ca_text = run(tool("openssl"), "x509", "-in", str(rsa_workspace.cert("ca")), "-noout", "-text").stdout
    assert "CA:TRUE, pathlen:0" in ca_text and "Certificate Sign, CRL Sign" in ca_text
    for role in ("ca", "server", "client"):
        csr = run(tool("openssl"), "req", "-in", str(rsa_workspace.csr(role)), "-noout", "-verify")
        assert csr.returncode == 0 and "verify OK" in csr.stdout + csr.stderr
        key = run(tool("openssl"), "pkey", "-in", str(rsa_workspace.key(role)), "-noout", "-check")
        assert key.returncode == 0, key.stderr


# ---------------------------------------------------------------------------
# pkilint: RFC 5280
# ---------------------------------------------------------------------------


def lint_findings(cert: Path, severity: str) -> list[tuple[str, str]]:
    """(severity, code) of every pkilint RFC 5280 finding at `severity` or above."""
    result = run(tool("lint_pkix_cert"), "lint", "-s", severity, "-f", "JSON", str(cert))
    assert result.stdout.strip(), result.stderr
    return [(f["severity"], f["code"]) for r in json.loads(result.stdout)["results"] for f in r["finding_descriptions"]]


@pytest.mark.parametrize("role", ["ca", "server", "client"])
@pytest.mark.parametrize("workspace_name", ["rsa_workspace", "legacy_workspace"])
def test_pkilint_rfc5280_finds_nothing_to_complain_about(request: pytest.FixtureRequest, workspace_name: str, role: str) -> None:
    ws: Workspace = request.getfixturevalue(workspace_name)
    # Findings at WARNING and above would be listed; none is expected (only INFO notes remain).
    assert lint_findings(ws.cert(role), "WARNING") == []
    result = run(tool("lint_pkix_cert"), "lint", "-s", "WARNING", str(ws.cert(role)))
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_pkilint_only_objects_to_a_single_label_name(pki_workspace: Workspace) -> None:
    """pkilint wants dNSName in preferred name syntax with a dot: `localhost` (allowed by the
    wizard for local testing) is its one finding; the IP SANs and everything else pass."""
    assert lint_findings(pki_workspace.cert("ca"), "WARNING") == []
    assert lint_findings(pki_workspace.cert("client"), "WARNING") == []
    assert lint_findings(pki_workspace.cert("server"), "WARNING") == [("ERROR", "pkix.invalid_domain_name_syntax")]


# ---------------------------------------------------------------------------
# The .p12: protection, keytool, NSS
# ---------------------------------------------------------------------------


def p12_info(ws: Workspace, *extra: str) -> subprocess.CompletedProcess:
    return run(tool("openssl"), "pkcs12", "-info", "-noout", *extra, "-in", str(ws.p12), "-passin", f"pass:{P12_PASSWORD}")


def test_the_default_p12_is_aes256_with_a_sha256_mac(rsa_workspace: Workspace) -> None:
    result = p12_info(rsa_workspace)
    info = result.stdout + result.stderr
    assert result.returncode == 0, info
    assert "MAC: sha256" in info
    assert info.count("AES-256-CBC") >= 2  # certificate bag and key bag
    assert "3DES" not in info and "RC2" not in info and "sha1" not in info.lower().replace("hmacwithsha256", "")


def test_the_legacy_p12_is_3des_with_a_sha1_mac(legacy_workspace: Workspace) -> None:
    result = p12_info(legacy_workspace)
    info = result.stdout + result.stderr
    if result.returncode != 0:  # some OpenSSL 3 builds need the legacy provider to read 3DES bags
        result = p12_info(legacy_workspace, "-legacy")
        info = result.stdout + result.stderr
    assert result.returncode == 0, info
    assert "MAC: sha1" in info
    assert info.count("pbeWithSHA1And3-KeyTripleDES-CBC") >= 2
    assert "AES" not in info


def test_a_wrong_password_is_refused_by_openssl(rsa_workspace: Workspace) -> None:
    result = run(tool("openssl"), "pkcs12", "-info", "-noout", "-in", str(rsa_workspace.p12), "-passin", "pass:wrong")
    assert result.returncode != 0


@pytest.mark.parametrize("workspace_name", ["rsa_workspace", "legacy_workspace", "pki_workspace"])
def test_java_keytool_lists_and_imports_the_p12(request: pytest.FixtureRequest, tmp_path: Path, workspace_name: str) -> None:
    keytool = tool("keytool")
    ws: Workspace = request.getfixturevalue(workspace_name)
    store = tmp_path / "imported.p12"
    imported = run(keytool, "-importkeystore", "-noprompt", "-srckeystore", str(ws.p12), "-srcstoretype", "PKCS12",
                   "-srcstorepass", P12_PASSWORD, "-destkeystore", str(store), "-deststoretype", "PKCS12",
                   "-deststorepass", "another password")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "1 entries successfully imported" in imported.stdout + imported.stderr
    result = run(keytool, "-list", "-v", "-storetype", "PKCS12", "-keystore", str(ws.p12), "-storepass", P12_PASSWORD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Your keystore contains 1 entry" in result.stdout
    assert "PrivateKeyEntry" in result.stdout and "Alias name: client" in result.stdout
    wrong = run(keytool, "-list", "-storetype", "PKCS12", "-keystore", str(ws.p12), "-storepass", "wrong-password")
    assert wrong.returncode != 0


@pytest.mark.parametrize("workspace_name", ["rsa_workspace", "legacy_workspace", "pki_workspace"])
def test_nss_pk12util_imports_the_p12(request: pytest.FixtureRequest, tmp_path: Path, workspace_name: str) -> None:
    certutil, pk12util = tool("certutil"), tool("pk12util")
    ws: Workspace = request.getfixturevalue(workspace_name)
    db = f"sql:{tmp_path / 'nssdb'}"
    (tmp_path / "nssdb").mkdir()
    created = run(certutil, "-N", "-d", db, "--empty-password")
    assert created.returncode == 0, created.stderr
    imported = run(pk12util, "-i", str(ws.p12), "-d", db, "-W", P12_PASSWORD)
    assert imported.returncode == 0 and "PKCS12 IMPORT SUCCESSFUL" in imported.stdout + imported.stderr, imported.stdout + imported.stderr
    listed = run(certutil, "-L", "-d", db)
    assert "client" in listed.stdout and "u,u,u" in listed.stdout  # a user certificate: key and certificate paired
    keys = run(certutil, "-K", "-d", db)
    assert keys.returncode == 0 and "client" in keys.stdout
    wrong_db = f"sql:{tmp_path / 'nssdb2'}"
    (tmp_path / "nssdb2").mkdir()
    run(certutil, "-N", "-d", wrong_db, "--empty-password")
    assert run(pk12util, "-i", str(ws.p12), "-d", wrong_db, "-W", "wrong-password").returncode != 0


def test_the_issues_done_when_command(tmp_path: Path, cli) -> None:  # noqa: ANN001
    """pip-installed CLI run of the issue: every tool accepts the result."""
    openssl, linter = tool("openssl"), tool("lint_pkix_cert")
    ws = Workspace(tmp_path / "W")
    result = cli("generate", "--workspace", str(ws.root), "--server-cn", "www.test.com", env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert verify(ws, "server", "sslserver").returncode == 0
    assert verify(ws, "client", "sslclient").returncode == 0
    for role in ("ca", "server", "client"):
        assert run(linter, "lint", "-s", "WARNING", str(ws.cert(role))).returncode == 0
    assert run(openssl, "pkcs12", "-info", "-noout", "-in", str(ws.p12), "-passin", f"pass:{P12_PASSWORD}").returncode == 0


def test_a_missing_tool_skips_locally_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        tool("mtls-wizard-no-such-tool")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        tool("mtls-wizard-no-such-tool")
