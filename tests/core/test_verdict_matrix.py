"""Every real server in every mutual-TLS mode it can express, and the verdict a careful engineer gives.

The table is server x mode. A mode (tests/support/mtls_modes.py) says what the listener does about
client certificates; each row turns it into that server's own configuration and starts the real
server on loopback. The next server is one more row: a `start` function, the binary it needs, and
the modes it cannot express or judges differently (with the reason).

The rule every row is held to: no PASS unless the server refuses, at TLS or with nginx's (ELB's)
own refusal page, both a client without a certificate and one with a stranger's; an application's
400/403 after TLS let them in is a FAIL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from conftest import P12_PASSWORD
from support.apache_server import ApacheServer, require_apache
from support.caddy_server import CaddyServer, require_caddy
from support.haproxy_server import HAProxyServer, require_haproxy
from support.java_server import JavaServer, require_java
from support.lighttpd_server import LighttpdServer, require_lighttpd
from support.mtls_modes import NONE, OPTIONAL, REQUEST, REQUIRE, Mode
from support.nginx_server import NginxServer, require_nginx
from support.node_server import NodeServer, require_node
from support.server_process import ServerProcess

from wizard.handshake import Verdict, probe
from wizard.workspace import Workspace

ANOTHER_CA = Path("<another CA>")  # stands for the foreign workspace's CA, resolved per test
THE_CRL = Path("<the workspace CRL>")  # stands for the matrix workspace's ca/crl.pem


@dataclass(frozen=True)
class Expected:
    status: str
    summary: str  # a fragment of the verdict line
    client: str | None = None  # check with --client NAME


PASSES = "demands a client certificate, accepts ours and refuses strangers"
MODES: dict[str, tuple[Mode, Expected]] = {
    "required": (Mode(), Expected("pass", PASSES)),
    "requested, unverified, 200": (Mode(client_auth=REQUEST), Expected("fail", "mutual authentication is not enforced")),
    "optional, application 403": (
        Mode(client_auth=OPTIONAL, app_refusal=403), Expected("fail", "clients without a certificate get through TLS (the application answered 403)")),
    "optional, application 400": (
        Mode(client_auth=OPTIONAL, app_refusal=400), Expected("fail", "clients without a certificate get through TLS (the application answered 400)")),
    "required, another CA": (Mode(client_ca=ANOTHER_CA), Expected("fail", "our client certificate is refused")),
    "no client auth": (Mode(client_auth=NONE), Expected("fail", "mutual authentication is not enforced")),
    "TLS 1.2 only": (Mode(versions=("TLSv1.2",)), Expected("pass", PASSES)),
    "TLS 1.3 only": (Mode(versions=("TLSv1.3",)), Expected("pass", PASSES)),
    "CRL, revoked client": (Mode(crl=THE_CRL), Expected("pass", "refuses the revoked bob and strangers", client="bob")),
    "CRL, valid client": (Mode(crl=THE_CRL), Expected("pass", PASSES, client="alice")),
}
NO_CRL = Expected("fail", "the revoked client bob is let in", client="bob")

Start = Callable[[Workspace, Path, Mode], AbstractContextManager[ServerProcess]]


@dataclass(frozen=True)
class Row:
    start: Start
    require: Callable[[], object]
    marker: str
    cannot: dict[str, str] = field(default_factory=dict)  # mode -> why this server cannot express it
    verdicts: dict[str, Expected] = field(default_factory=dict)  # mode -> its own verdict, where that differs


# -- nginx: `ssl_verify_client`, an `if` for the application's refusal, `ssl_crl` ----------------
NGINX_VERIFY = {REQUIRE: "on", REQUEST: "optional_no_ca", OPTIONAL: "optional", NONE: "off"}


def nginx(ws: Workspace, folder: Path, mode: Mode) -> NginxServer:
    extra = f"    ssl_crl {mode.crl};\n" if mode.crl else ""
    if mode.app_refusal:
        extra += f"    if ($ssl_client_verify != SUCCESS) {{ return {mode.app_refusal}; }}\n"
    return NginxServer(ws, folder, verify_client=NGINX_VERIFY[mode.client_auth], client_ca=mode.client_ca,
                       protocols=" ".join(mode.versions), server_extra=extra)


# -- HAProxy: `verify`, ignored errors for "request", a deny rule, `crl-file` ------------------------
def haproxy(ws: Workspace, folder: Path, mode: Mode) -> HAProxyServer:
    verify = {REQUIRE: "required", REQUEST: "optional", OPTIONAL: "optional", NONE: "none"}[mode.client_auth]
    bind = " crt-ignore-err all ca-ignore-err all" if mode.client_auth == REQUEST else ""
    bind += f" crl-file {mode.crl}" if mode.crl else ""
    rules = f"http-request deny deny_status {mode.app_refusal} if !{{ ssl_c_used }}" if mode.app_refusal else ""
    single = mode.versions[0] if len(mode.versions) == 1 else None
    return HAProxyServer(ws, folder, verify=verify, tls_version=single, rules=rules, client_ca=mode.client_ca, bind_extra=bind)


# -- Apache httpd: `SSLVerifyClient`, a mod_rewrite rule for the application's refusal, `SSLCARevocationFile`
def apache(ws: Workspace, folder: Path, mode: Mode) -> ApacheServer:
    verify = {REQUIRE: "require", REQUEST: "optional_no_ca", OPTIONAL: "optional", NONE: "none"}[mode.client_auth]
    rules = ""
    if mode.app_refusal:
        flag = "F" if mode.app_refusal == 403 else f"R={mode.app_refusal}"
        rules = f"RewriteEngine on\n    RewriteCond %{{SSL:SSL_CLIENT_VERIFY}} !=SUCCESS\n    RewriteRule ^ - [{flag}]"
    return ApacheServer(ws, folder, verify=verify, protocols=" ".join(mode.versions), location_rules=rules, client_ca=mode.client_ca,
                        crl=mode.crl)


ROWS: dict[str, Row] = {
    "nginx": Row(nginx, require_nginx, "nginx"),
    "apache": Row(apache, require_apache, "apache"),
    "haproxy": Row(haproxy, require_haproxy, "haproxy"),
    "node": Row(NodeServer, require_node, "node"),
    # Caddy checks no CRL: the revoked client gets in, as behind ELB.
    "caddy": Row(CaddyServer, require_caddy, "caddy", verdicts={"CRL, revoked client": NO_CRL}),
    "java": Row(JavaServer, require_java, "java"),
    # GnuTLS ends a handshake without a certificate even with enforcement off, but lets a stranger's
    # unverified certificate through: the stranger's row is the failure there. And lighttpd 1.4.69's
    # mod_gnutls was not seen to enforce ssl.verifyclient.ca-crl-file here: the revoked client gets in.
    "lighttpd-gnutls": Row(LighttpdServer, require_lighttpd, "lighttpd", verdicts={
        "CRL, revoked client": NO_CRL,
        "requested, unverified, 200": Expected("fail", "a certificate from a foreign CA is accepted"),
        "optional, application 403": Expected("fail", "a certificate from a foreign CA gets through TLS (the application answered 403)"),
        "optional, application 400": Expected("fail", "a certificate from a foreign CA gets through TLS (the application answered 400)"),
    }),
}


@pytest.fixture(scope="module")
def matrix_workspace(pki_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The shared PKI plus clients alice and bob, bob revoked (ca/crl.pem lists him)."""
    from wizard import clients

    ws = Workspace(tmp_path_factory.mktemp("matrix") / "workspace")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    clients.revoke(ws, "bob", "keyCompromise", 30)
    return ws


def resolved(mode: Mode, ws: Workspace, foreign: Workspace) -> Mode:
    from wizard import clients

    return replace(mode, client_ca=foreign.cert("ca") if mode.client_ca == ANOTHER_CA else mode.client_ca,
                   crl=clients.crl_path(ws) if mode.crl == THE_CRL else mode.crl)


def assert_refusals_earn_the_pass(verdict: Verdict) -> None:
    """A PASS stands only on refusals at TLS or by nginx's (ELB's) own page, never on an application's answer."""
    for attempt in verdict.attempts[1:]:
        assert attempt.outcome == "rejected", attempt
        assert attempt.kind in ("alert", "eof", "reset") or "refusal page" in attempt.detail or attempt.status_code in (495, 496), attempt


CASES = [
    pytest.param(row_name, mode_name, id=f"{row_name}: {mode_name}", marks=getattr(pytest.mark, row.marker))
    for row_name, row in ROWS.items() for mode_name in MODES
]


@pytest.mark.parametrize(("row_name", "mode_name"), CASES)
def test_the_verdict_for_every_server_in_every_mode(row_name: str, mode_name: str, matrix_workspace: Workspace, foreign_workspace: Workspace,
                                                    tmp_path: Path) -> None:
    row = ROWS[row_name]
    if mode_name in row.cannot:
        pytest.skip(row.cannot[mode_name])
    row.require()
    mode, expected = MODES[mode_name]
    expected = row.verdicts.get(mode_name, expected)
    server = row.start(matrix_workspace, tmp_path / row_name, resolved(mode, matrix_workspace, foreign_workspace))
    with server:
        verdict = probe(server.host, server.port, matrix_workspace, timeout=5, client=expected.client)
    assert verdict.status == expected.status, [verdict.summary, *(f"{a.name}: {a.outcome} {a.detail}" for a in verdict.attempts)]
    assert expected.summary in verdict.summary, verdict.summary
    if verdict.passed:
        assert_refusals_earn_the_pass(verdict)
    if len(mode.versions) == 1 and verdict.tls_version:
        assert verdict.tls_version == mode.versions[0]


def test_the_table_covers_every_mode_for_the_new_servers() -> None:
    # Beside nginx, Apache httpd and HAProxy: at least three more servers, on other TLS stacks.
    new = [name for name in ROWS if name not in ("nginx", "apache", "haproxy")]
    assert len(new) >= 3
    for name in new:
        missing = [mode for mode in MODES if mode in ROWS[name].cannot and not mode.startswith("CRL")]
        assert not missing, (name, missing)


# -- what a server does beyond client certificates must not pass for a refusal of ours ------------


@pytest.mark.node
def test_an_http2_only_server_is_inconclusive_never_our_certificate_refused(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_node()
    with NodeServer(pki_workspace, tmp_path / "node", Mode(h2_only=True)) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "inconclusive", verdict.summary
    assert "speaks only HTTP/2" in verdict.summary and "refused" not in verdict.attempts[0].outcome
    assert "our client certificate is refused" not in verdict.summary
    assert any("curl --http2" in line for line in verdict.diagnosis)


@pytest.mark.node
def test_a_server_that_hangs_up_on_head_is_asked_with_get(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_node()
    with NodeServer(pki_workspace, tmp_path / "node", Mode(closes_on_head=True)) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.attempts[0].detail == "HTTP/1.1 200 OK (to GET: HEAD got no answer)"
    with NodeServer(pki_workspace, tmp_path / "node-optional", Mode(client_auth=OPTIONAL, app_refusal=400, closes_on_head=True)) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and "the application answered 400" in verdict.summary
