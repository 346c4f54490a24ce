"""The verifier against the servers people really put in front of mTLS: nginx, Apache httpd, HAProxy.

Each server is started by the test on loopback with its own config in a temporary folder
(tests/support/*_server.py); `.ci/run` installs all three, and in CI a missing one fails the test.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from conftest import make_pki
from support.apache_server import REQUIRE_VERIFIED, ApacheServer, require_apache
from support.haproxy_server import (
    DENY_WITHOUT_CERTIFICATE,
    HAProxyServer,
    require_haproxy,
)
from support.handshake_cases import outcomes
from support.nginx_server import NginxServer, require_nginx

from wizard import handshake
from wizard.handshake import probe
from wizard.handshake.model import REQUEST_AFTER_HANDSHAKE, REQUEST_IN_HANDSHAKE
from wizard.workspace import Workspace

OUR_CA = "CN=ELB mTLS Root CA,O=ELB"
NGINX_403_WITHOUT_VERIFIED_CERT = "    if ($ssl_client_verify != SUCCESS) { return 403; }\n"


@pytest.fixture
def without_post_handshake_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cryptography build whose bindings lack SSL_CTX_set_post_handshake_auth."""
    from cryptography.hazmat.bindings.openssl import binding

    handshake.foreign_identity_pem()  # make the foreign identity (and load OpenSSL) before the bindings change
    stripped = types.SimpleNamespace(ffi=binding.Binding.ffi, lib=types.SimpleNamespace())
    monkeypatch.setattr(binding, "Binding", stripped)


# ---------------------------------------------------------------------------
# Apache httpd (mod_ssl)
# ---------------------------------------------------------------------------


@pytest.mark.apache
@pytest.mark.parametrize("protocol", ["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("per_location", [False, True], ids=["server-wide", "per-location"])
def test_apache_requiring_a_client_certificate_passes(pki_workspace: Workspace, tmp_path: Path, protocol: str, per_location: bool) -> None:
    require_apache()
    with ApacheServer(pki_workspace, tmp_path / "apache", per_location=per_location, protocols=protocol) as apache:
        verdict = probe(apache.host, apache.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.tls_version == protocol
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]
    assert verdict.attempts[0].status_code == 200
    # Per location, Apache asks after the request: TLS 1.3 post-handshake auth, TLS 1.2 renegotiation.
    expected = REQUEST_AFTER_HANDSHAKE if per_location else REQUEST_IN_HANDSHAKE
    assert [a.certificate_request for a in verdict.attempts] == [expected] * 3
    assert verdict.post_handshake_auth_offered
    assert verdict.accepted_client_cas == [OUR_CA] and verdict.our_ca_advertised is True


@pytest.mark.apache
def test_apache_per_location_without_post_handshake_auth_is_inconclusive(pki_workspace: Workspace, tmp_path: Path, without_post_handshake_auth: None) -> None:
    # When the bindings cannot offer post-handshake auth, Apache answers 403 to every attempt:
    # the verdict must say so, never "a certificate from a foreign CA is accepted".
    require_apache()
    with ApacheServer(pki_workspace, tmp_path / "apache", per_location=True, protocols="TLSv1.3") as apache:
        verdict = probe(apache.host, apache.port, pki_workspace, timeout=5)
    assert verdict.status == "inconclusive" and not verdict.passed
    assert not verdict.post_handshake_auth_offered
    assert [a.status_code for a in verdict.attempts] == [403, 403, 403]
    assert outcomes(verdict) == ["denied", "denied", "denied"]
    assert "refuses every request, with or without a certificate" in verdict.summary
    assert "foreign" not in verdict.summary and "not enforced" not in verdict.summary
    assert any("post-handshake authentication" in line and "curl" in line for line in verdict.diagnosis)


@pytest.mark.apache
@pytest.mark.parametrize("protocol", ["TLSv1.3", "TLSv1.2"])
@pytest.mark.parametrize("per_location", [False, True], ids=["server-wide", "per-location"])
def test_apache_optional_with_a_403_rule_fails_for_a_load_balancer(pki_workspace: Workspace, tmp_path: Path, protocol: str, per_location: bool) -> None:
    # The access rule refuses clients without a certificate, but the TLS layer let them in: on a
    # load balancer that is the mistake to report, wherever Apache asks (handshake or per path).
    require_apache()
    with ApacheServer(pki_workspace, tmp_path / "apache", verify="optional", per_location=per_location, protocols=protocol,
                      location_rules=REQUIRE_VERIFIED) as apache:
        verdict = probe(apache.host, apache.port, pki_workspace, timeout=5)
    assert verdict.status == "fail", verdict.summary
    assert outcomes(verdict) == ["accepted", "denied", "rejected"]
    expected = REQUEST_AFTER_HANDSHAKE if per_location else REQUEST_IN_HANDSHAKE
    assert verdict.attempts[1].status_code == 403 and verdict.attempts[1].certificate_request == expected
    assert "clients without a certificate get through TLS (the application answered 403)" in verdict.summary
    assert any("not from the listener's TLS layer" in line or "not from the TLS layer" in line for line in verdict.diagnosis)


# ---------------------------------------------------------------------------
# HAProxy
# ---------------------------------------------------------------------------


@pytest.mark.haproxy
@pytest.mark.parametrize("tls_version", [None, "TLSv1.2"], ids=["default", "tls12-only"])
def test_haproxy_verify_required_passes(pki_workspace: Workspace, tmp_path: Path, tls_version: str | None) -> None:
    require_haproxy()
    with HAProxyServer(pki_workspace, tmp_path / "haproxy", tls_version=tls_version) as haproxy:
        verdict = probe(haproxy.host, haproxy.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.tls_version == (tls_version or "TLSv1.3")
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]
    assert verdict.our_ca_advertised is True


@pytest.mark.haproxy
def test_haproxy_verify_optional_with_a_deny_rule_fails(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_haproxy()
    with HAProxyServer(pki_workspace, tmp_path / "haproxy", verify="optional", rules=DENY_WITHOUT_CERTIFICATE) as haproxy:
        verdict = probe(haproxy.host, haproxy.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert outcomes(verdict) == ["accepted", "denied", "rejected"]
    assert "clients without a certificate get through TLS (the application answered 403)" in verdict.summary


@pytest.mark.haproxy
def test_haproxy_one_way_tls_is_not_enforced(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_haproxy()
    with HAProxyServer(pki_workspace, tmp_path / "haproxy", verify="none") as haproxy:
        verdict = probe(haproxy.host, haproxy.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert outcomes(verdict) == ["accepted", "accepted", "accepted"]
    assert "mutual authentication is not enforced" in verdict.summary
    assert any("never asked for one" in line for line in verdict.diagnosis)


# ---------------------------------------------------------------------------
# nginx
# ---------------------------------------------------------------------------


@pytest.mark.nginx
@pytest.mark.parametrize("protocols", ["TLSv1.2", "TLSv1.3"])
def test_nginx_enforcing_listener_passes_with_http_400_refusals(pki_workspace: Workspace, tmp_path: Path, protocols: str) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="on", protocols=protocols) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.tls_version == protocols
    assert [a.status_code for a in verdict.attempts] == [200, 400, 400]
    assert verdict.accepted_client_cas == [OUR_CA]
    assert verdict.our_ca_advertised is True


@pytest.mark.nginx
def test_nginx_without_client_auth_is_not_enforced(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="off") as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and "not enforced" in verdict.summary
    assert outcomes(verdict) == ["accepted", "accepted", "accepted"]


@pytest.mark.nginx
def test_nginx_optional_with_a_403_fails_for_a_load_balancer(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="optional", server_extra=NGINX_403_WITHOUT_VERIFIED_CERT) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert [a.status_code for a in verdict.attempts] == [200, 403, 400]
    assert outcomes(verdict) == ["accepted", "denied", "rejected"]
    assert "clients without a certificate get through TLS (the application answered 403)" in verdict.summary


@pytest.mark.nginx
def test_nginx_trusting_another_ca_names_it(pki_workspace: Workspace, foreign_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", client_ca=foreign_workspace.cert("ca")) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert verdict.attempts[0].outcome == "rejected"
    assert "The SSL certificate error" in verdict.attempts[0].detail
    assert verdict.our_ca_advertised is False
    assert any("CN=Elsewhere mTLS Root CA,O=Elsewhere" in line and "ca/ca.crt" in line for line in verdict.diagnosis)


@pytest.mark.nginx
def test_nginx_advertised_ca_names_keep_commas_and_accents(tmp_path: Path) -> None:
    require_nginx()
    ws = make_pki(tmp_path / "workspace", org="ELB, Inc é")
    with NginxServer(ws, tmp_path / "nginx") as nginx:
        verdict = probe(nginx.host, nginx.port, ws, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.accepted_client_cas == ["CN=ELB\\, Inc é mTLS Root CA,O=ELB\\, Inc é"]
    assert verdict.our_ca_advertised is True


@pytest.mark.nginx
def test_nginx_empty_backend_still_proves_mtls(pki_workspace: Workspace, tmp_path: Path, closed_port: int) -> None:
    require_nginx()
    location = f"proxy_pass http://127.0.0.1:{closed_port};"
    with NginxServer(pki_workspace, tmp_path / "nginx", location=location) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.attempts[0].status_code == 502
    assert any("Mutual authentication itself works" in line for line in verdict.diagnosis)


@pytest.mark.nginx
def test_nginx_answering_403_to_everyone_is_inconclusive_not_a_foreign_ca(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="off", location="return 403;") as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "inconclusive"
    assert outcomes(verdict) == ["denied", "denied", "denied"]
    assert "refuses every request" in verdict.summary
    assert any("never asked for a client certificate" in line for line in verdict.diagnosis)
