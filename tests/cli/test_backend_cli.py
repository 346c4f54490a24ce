"""`mtls-wizard backend nginx|haproxy|apache --out DIR` as a user runs it, and what `client revoke`
and `client crl` do to the kits afterwards: the deny-list rewritten, the reload command printed,
nothing else touched; and with real servers behind the ELB-like front, a new revocation picked up
after that reload while the clients' connections stay open."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner
from support.elb_front import LB_ADDRESS, ElbFront
from support.i18n_helpers import untranslated_words
from support.kit_backends import kit_backend, readable_folder
from support.kit_requests import ask, front_connection, through_front
from support.server_process import require_binary

from wizard import backend, clients
from wizard.backend import apache, haproxy, nginx
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

KIT_FIELDS = ("serialnumber", "fingerprint", "clientverify", "subjectdn")
RELOADS = {"nginx": "nginx -s reload", "haproxy": "systemctl reload haproxy", "apache": "apachectl graceful"}
BINARIES = {"nginx": ("nginx", "nginx"), "haproxy": ("haproxy", "haproxy"), "apache": ("apache2", "apache2")}


@pytest.fixture
def workspace(tmp_path: Path, pki_workspace: Workspace) -> Workspace:
    """The shared PKI with clients alice and bob, both valid, free to change."""
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    clients.issue_clients(ws, ["alice", "bob"], P12_PASSWORD, clients.ClientOptions(key_type="ec-p256"))
    return ws


def _kit(cli: CliRunner, ws: Workspace, server: str, out: Path, *extra: str) -> str:
    done = cli("backend", server, "--out", str(out), "--workspace", str(ws.root), "--lb-source", f"{LB_ADDRESS}/32",
               *(arg for field in KIT_FIELDS for arg in ("--forward-client-cert", field)), *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_backend_writes_the_kit_and_says_how_to_include_it(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    shown = _kit(cli, workspace, "nginx", tmp_path / "kit")
    assert sorted(p.name for p in (tmp_path / "kit").iterdir()) == ["http.conf", "server.conf"]  # exactly two files
    assert f"include {tmp_path / 'kit' / 'http.conf'};" in shown and f"include {tmp_path / 'kit' / 'server.conf'};" in shown
    assert "nginx -t && nginx -s reload" in shown and backend.ECHO_PATH in shown
    recorded = backend.read_kit_record(workspace)
    assert [(kit.server, kit.out, kit.lb_sources) for kit in recorded] == [("nginx", tmp_path / "kit", ("127.0.0.2/32",))]
    assert "BEGIN" not in (workspace.root / backend.RECORD_NAME).read_text()  # no key, no certificate: names and addresses


def test_haproxy_and_apache_kits_are_in_their_own_idiom(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    shown = _kit(cli, workspace, "haproxy", tmp_path / "hap")
    assert {p.name for p in (tmp_path / "hap").iterdir()} == {haproxy.RULES, haproxy.LB_SOURCES, haproxy.SERIALS, haproxy.FINGERPRINTS}
    assert f"# the lines of {tmp_path / 'hap' / haproxy.RULES}" in shown and "systemctl reload haproxy" in shown
    shown = _kit(cli, workspace, "apache", tmp_path / "apa")
    assert {p.name for p in (tmp_path / "apa").iterdir()} == {apache.CONF, apache.MAP, apache.ECHO}
    assert f"Include {tmp_path / 'apa' / apache.CONF}" in shown and "apachectl graceful" in shown
    assert "RewriteMap mtls_wizard_revoked" in (tmp_path / "apa" / apache.CONF).read_text()


def test_step_6_fields_and_aliases_are_what_the_kit_reads(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    SessionStore().save(Session(workspace=str(workspace.root), forward_client_cert=["serialnumber=x-client-serial", "clientverify"], lb_type="shared"))
    done = cli("backend", "nginx", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root))
    assert done.returncode == 0, done.stderr
    assert "$http_x_client_serial" in (tmp_path / "kit" / "http.conf").read_text()
    assert "100.125.0.0/16 1;" in (tmp_path / "kit" / "http.conf").read_text()  # a shared load balancer's addresses
    assert "x-client-serial (serialnumber)" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--lb-source", "100.125.0.1/16"), "did you mean 100.125.0.0/16"),
    (("--lb-source", "the load balancer"), "is not an address or network"),
    (("--forward-client-cert", "subjectdn"), "neither the serial number nor the fingerprint"),
    (("--forward-client-cert", "serial"), "unknown client certificate field"),
])
def test_bad_input_is_a_usage_error(cli: CliRunner, workspace: Workspace, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = cli("backend", "nginx", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root), *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "kit").exists()


def test_a_dedicated_load_balancer_needs_its_subnet(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    SessionStore().save(Session(workspace=str(workspace.root), lb_type="dedicated"))
    done = cli("backend", "apache", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root))
    assert done.returncode == 2 and "--lb-source" in done.stderr


def test_a_file_of_the_users_is_never_replaced(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    mine = tmp_path / "kit" / "http.conf"
    mine.write_text("# my own nginx http settings\n")
    done = cli("backend", "nginx", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root))
    assert done.returncode == 1 and "not written by mtls-wizard" in done.stderr
    assert mine.read_text() == "# my own nginx http settings\n" and not (tmp_path / "kit" / "server.conf").exists()


def test_without_a_ca_there_is_no_kit(cli: CliRunner, tmp_path: Path) -> None:
    done = cli("backend", "haproxy", "--out", str(tmp_path / "kit"), "--workspace", str(tmp_path / "empty"))
    assert done.returncode == 1 and "generate" in done.stderr


def test_client_revoke_rewrites_only_the_deny_lists_and_prints_the_reload(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    outs = {server: tmp_path / server for server in RELOADS}
    for server, out in outs.items():
        _kit(cli, workspace, server, out)
    fixed = {path: path.read_text() for path in (outs["nginx"] / nginx.SERVER_CONF, outs["haproxy"] / haproxy.RULES,
                                                 outs["haproxy"] / haproxy.LB_SOURCES, outs["apache"] / apache.CONF, outs["apache"] / apache.ECHO)}
    alice = clients.client_info(workspace, "alice").serial
    done = cli("client", "revoke", "alice", "--workspace", str(workspace.root))
    assert done.returncode == 0, done.stderr
    for server, out in outs.items():
        assert f"backend kit for {server} updated in {out}" in done.stdout and f"reload: {RELOADS[server]}" in done.stdout
    assert alice.lower() in (outs["nginx"] / nginx.HTTP_CONF).read_text()
    assert backend.minimal_serial(alice) in (outs["haproxy"] / haproxy.SERIALS).read_text().split()
    assert f"{alice.lower()} revoked" in (outs["apache"] / apache.MAP).read_text()
    assert {path: path.read_text() for path in fixed} == fixed  # nothing else touched
    again = cli("client", "crl", "--workspace", str(workspace.root))
    assert again.returncode == 0 and again.stdout.count("updated in") == 3


def test_a_kit_that_cannot_be_updated_is_an_error(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    _kit(cli, workspace, "nginx", tmp_path / "gone")
    shutil.rmtree(tmp_path / "gone")
    done = cli("client", "revoke", "bob", "--workspace", str(workspace.root))
    assert done.returncode == 1 and "the nginx kit was not updated" in done.stderr and "Traceback" not in done.stderr
    assert clients.client_info(workspace, "bob").state == "revoked"  # the revocation itself stands


def test_revoke_without_kits_prints_no_kit_line(cli: CliRunner, workspace: Workspace) -> None:
    done = cli("client", "revoke", "bob", "--workspace", str(workspace.root))
    assert done.returncode == 0 and "backend kit" not in done.stdout
    assert not (workspace.root / backend.RECORD_NAME).exists()


# ---------------------------------------------------------------------------
# real servers: a new revocation after the printed reload, connections kept
# ---------------------------------------------------------------------------


@pytest.fixture(params=sorted(BINARIES))
def server(request: pytest.FixtureRequest) -> str:
    require_binary(*BINARIES[request.param])
    require_binary("nginx", "nginx")  # the front
    return request.param


@pytest.fixture
def kit_folder() -> Iterator[Path]:
    with readable_folder() as folder:
        yield folder / "kit"


def _until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_new_revocation_holds_after_the_printed_reload_without_dropping_connections(
        cli: CliRunner, workspace: Workspace, server: str, kit_folder: Path, tmp_path: Path) -> None:
    _kit(cli, workspace, server, kit_folder)
    with kit_backend(server, workspace, tmp_path / "backend", kit_folder) as app, \
            ElbFront(workspace, tmp_path / "front", app.address, KIT_FIELDS) as front:
        alice, bob = front_connection(workspace, front.address, "alice"), front_connection(workspace, front.address, "bob")
        sockets = (alice.sock, bob.sock)
        assert ask(alice).status == 200 and ask(bob).status == 200
        done = cli("client", "revoke", "bob", "--workspace", str(workspace.root))
        assert done.returncode == 0 and f"reload: {RELOADS[server]}" in done.stdout
        app.reload()  # what the printed command does to this server
        assert _until(lambda: through_front(workspace, front.address, "bob").status == 403), "the reload did not pick up the revocation"
        refused = ask(bob)  # the connections opened before the reload carry on
        assert (refused.status, refused.body.strip()) == (403, backend.REVOKED)
        assert ask(alice).status == 200 and ask(alice).status == 200
        assert (alice.sock, bob.sock) == sockets  # the same TCP connections, never reopened
        alice.close()
        bob.close()


def test_backend_speaks_the_users_language(cli: CliRunner, workspace: Workspace, tmp_path: Path) -> None:
    pseudo = {"MTLS_WIZARD_LANG": "qps"}
    runs = [
        cli("backend", "nginx", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root), env=pseudo),
        cli("backend", "nginx", "--out", str(tmp_path / "kit"), "--workspace", str(workspace.root), "--lb-source", "10.0.0.1/8", env=pseudo),
        cli("client", "revoke", "bob", "--workspace", str(workspace.root), env=pseudo),
    ]
    # Data and configuration lines (the include lines are nginx's own words), not prose.
    allowed = {"http", "include", "server", "nginx", "bob", "unspecified", "reload", "conf", "serialnumber", "fingerprint", "clientverify"}
    left = [untranslated_words(run.stdout + run.stderr, allowed) for run in runs]
    assert left == [[], [], []], left
