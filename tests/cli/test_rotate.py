"""`rotate`: unattended renewal, upload, listener move, deletion of the old and the handshake
test, as real processes against the ELB stand-in and the listener it holds served for real on
127.0.0.1. A certificate is "aged" by signing it again with the workspace CA over a window
that started days ago, so it is due without waiting for time to pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import DEDICATED_LB, ELB_PROJECT, ELB_REGION, P12_PASSWORD, make_pki, with_three_load_balancers
from cryptography import x509
from support.aging import age
from support.fake_elb_api import FakeElbApi
from support.served_listener import ServedListener

from wizard import elb, pki
from wizard.clients.names import client_files
from wizard.session import SessionStore
from wizard.workspace import Workspace


@pytest.fixture
def api(api: FakeElbApi) -> FakeElbApi:
    return with_three_load_balancers(api)


@pytest.fixture
def uploaded(cli, tmp_path: Path, api: FakeElbApi, cloud_env: dict) -> Workspace:  # noqa: ANN001
    """A workspace whose server certificate has 2 of its 10 days left, uploaded with its listener (port 8443)."""
    ws = make_pki(tmp_path / "ws")
    age(ws, ws.cert("server"), days_left=2, lifetime=10)
    run = cli("elb", "upload", "-w", str(ws.root), "--region", ELB_REGION, "--project-id", ELB_PROJECT, "--endpoint", api.endpoint,
              "--loadbalancer-id", DEDICATED_LB, "--port", "8443", "--pool-id", "pool-1", env=cloud_env)
    assert run.returncode == 0, run.stderr
    return ws


@pytest.mark.timeout(180)
def test_rotate_twice_makes_one_rotation_and_proves_it(cli, uploaded: Workspace, api: FakeElbApi, cloud_env: dict, tmp_path: Path) -> None:  # noqa: ANN001
    [listener_id] = api.listeners
    old_server = api.listeners[listener_id]["default_tls_container_ref"]
    with ServedListener(api, listener_id, uploaded, tmp_path / "served") as served:
        before = len(api.requests)
        first = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--check", served.address, "--check-wait", "20", env=cloud_env)
        assert first.returncode == 0, first.stdout + first.stderr
        writes = [r.route for r in api.requests[before:] if r.method != "GET"]
        assert writes == ["create_certificate", "update_listener", "delete_certificate"]
        new_server = api.listeners[listener_id]["default_tls_container_ref"]
        assert new_server != old_server and old_server not in api.certificates and served.serving[0] == new_server
        lines = first.stdout.splitlines()
        assert lines[0].startswith("renewed the server certificate: expires ")
        assert any(f"moving the recorded listener {listener_id}" in line for line in lines)
        assert lines[-1] == f"check {served.address}: PASS, mutual authentication works with the current certificates"
        assert all(len(line) < 400 for line in lines)
        assert all(line.startswith("mtls-wizard: warning: ") for line in first.stderr.splitlines())  # (a 10-day certificate "expires soon")

        again = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", env=cloud_env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "nothing to do: nothing expires within 3 days, and ELB holds the workspace's certificates"
        assert len([r for r in api.requests[before:] if r.method != "GET"]) == 3  # still the one rotation
    session = SessionStore().load(uploaded.root)
    assert session is not None and session.is_done(6) and session.is_done(7) and session.lb_address == "127.0.0.1"
    days_left = (x509.load_pem_x509_certificate(uploaded.cert("server").read_bytes()).not_valid_after_utc
                 - dt.datetime.now(dt.timezone.utc)).days
    assert days_left == 9  # renewed with the lifetime it had: short-lived stays short-lived


@pytest.mark.timeout(180)
def test_a_due_ca_is_renewed_for_its_key_uploaded_and_the_listener_moved_to_it(
        cli, uploaded: Workspace, api: FakeElbApi, cloud_env: dict, tmp_path: Path) -> None:  # noqa: ANN001
    """The CA due too: renewed for its own key (the leaves stay valid), uploaded, the recorded
    listener's CA moved to it and the old CA deleted; the served listener then trusts the new one."""
    [listener_id] = api.listeners
    age(uploaded, uploaded.cert("ca"), days_left=2, lifetime=10)
    old_ca_key_id = x509.load_pem_x509_certificate(uploaded.cert("ca").read_bytes()).public_key().public_numbers()
    old_ca_ref = api.listeners[listener_id]["client_ca_tls_container_ref"]
    with ServedListener(api, listener_id, uploaded, tmp_path / "served") as served:
        before = len(api.requests)
        run = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--check", served.address, "--check-wait", "20", env=cloud_env)
        assert run.returncode == 0, run.stdout + run.stderr
        lines = run.stdout.splitlines()
        assert any(line.startswith("renewed the CA certificate for its own key: expires ") for line in lines), lines
        assert lines[-1] == f"check {served.address}: PASS, mutual authentication works with the current certificates"
    new_ca = x509.load_pem_x509_certificate(uploaded.cert("ca").read_bytes())
    assert new_ca.public_key().public_numbers() == old_ca_key_id  # the same key: issued leaves still chain to it
    new_ca_ref = api.listeners[listener_id]["client_ca_tls_container_ref"]
    assert new_ca_ref != old_ca_ref and old_ca_ref not in api.certificates
    writes = [r.route for r in api.requests[before:] if r.method != "GET"]
    assert writes.count("update_listener") == 1 and writes.index("update_listener") < writes.index("delete_certificate")
    again = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", env=cloud_env)
    assert again.returncode == 0 and again.stdout.startswith("nothing to do"), again.stdout + again.stderr


def test_a_dry_run_says_what_it_would_do_and_touches_nothing(cli, uploaded: Workspace, api: FakeElbApi) -> None:  # noqa: ANN001
    before, server = len(api.requests), uploaded.cert("server").read_bytes()
    run = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--dry-run")  # no credentials needed
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "would renew the server certificate (1 days left) for another 10 days",
        "would upload what changed, move the recorded listener to it, then delete what it replaced",
    ]
    assert len(api.requests) == before and uploaded.cert("server").read_bytes() == server


def test_a_rotation_rewrites_the_backend_kits_deny_list_and_a_dry_run_does_not(
        cli, uploaded: Workspace, cloud_env: dict, tmp_path: Path) -> None:  # noqa: ANN001
    kit = tmp_path / "kit"
    assert cli("backend", "nginx", "--out", str(kit), "-w", str(uploaded.root), "--lb-source", "192.168.0.0/24").returncode == 0
    deny_list = kit / "http.conf"
    written = deny_list.stat().st_ino  # the kit's files are replaced atomically: a rewrite is a new inode
    dry = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--dry-run")
    assert dry.returncode == 0 and deny_list.stat().st_ino == written
    run = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--no-check", env=cloud_env)
    assert run.returncode == 0, run.stderr
    assert f"backend kit for nginx updated in {kit}" in run.stdout and "reload: nginx -s reload" in run.stdout
    assert deny_list.stat().st_ino != written


def test_an_upload_that_failed_is_done_by_the_next_run(cli, uploaded: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    api.fail("create_certificate", 500, "ELB.8906", "internal error", times=1)
    first = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--no-check", env=cloud_env)
    assert first.returncode == 1 and "needs a person: uploading the server certificate failed: HTTP 500 ELB.8906" in first.stderr
    second = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--no-check", env=cloud_env)  # nothing due: ELB is behind
    assert second.returncode == 0, second.stderr
    assert "renewed" not in second.stdout and len(api.calls("update_listener")) == 1 and len(api.calls("delete_certificate")) == 1


def test_what_needs_a_person_is_exit_1(cli, tmp_path: Path, foreign_workspace: Workspace) -> None:  # noqa: ANN001
    ws = make_pki(tmp_path / "ws")
    ws.cert("server").write_bytes(foreign_workspace.cert("server").read_bytes())  # brought: another CA issued it
    ws.key("server").write_bytes(foreign_workspace.key("server").read_bytes())
    run = cli("rotate", "-w", str(ws.root), "--within-days", "900")
    assert run.returncode == 1
    assert "needs a person: the server certificate expires in 824 days but was brought" in run.stderr
    ours = make_pki(tmp_path / "ours")
    age(ours, ours.cert("server"), days_left=2, lifetime=10)
    run = cli("rotate", "-w", str(ours.root), "--within-days", "3")  # renewed, but never uploaded: the listener needs it
    assert run.returncode == 1 and run.stdout.startswith("renewed the server certificate")
    assert "needs a person: no upload is recorded for this workspace" in run.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--within-days", "-1"), "0 or more"),
    (("--within-days", "900", "--client", "../x"), "cannot name a client"),
    (("--within-days", "900", "--client", "nobody"), "there is no client nobody"),
    (("--within-days", "3", "--check", "no port here"), "contains spaces"),
])
def test_bad_usage_is_exit_2(cli, pki_workspace: Workspace, args: tuple[str, ...], message: str) -> None:  # noqa: ANN001
    run = cli("rotate", "-w", str(pki_workspace.root), *args)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_a_renewal_that_would_be_due_again_at_once_is_refused(cli, tmp_path: Path) -> None:  # noqa: ANN001
    ws = make_pki(tmp_path / "ws")
    age(ws, ws.cert("server"), days_left=2, lifetime=10)
    run = cli("rotate", "-w", str(ws.root), "--within-days", "9")
    assert run.returncode == 2 and "lives 10 days, no more than the 9 days ahead" in run.stderr and "fewer days ahead" in run.stderr


def test_named_clients_keep_their_own_password_and_revoked_ones_are_never_renewed(cli, tmp_path: Path) -> None:  # noqa: ANN001
    ws = make_pki(tmp_path / "ws")
    env = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
    assert cli("client", "issue", "bob", "-w", str(ws.root), "--random-passwords").returncode == 0
    assert cli("client", "issue", "eve", "-w", str(ws.root), env=env).returncode == 0
    bob = client_files(ws, "bob")
    password = bob.password.read_text()
    for name in ("bob", "eve"):
        age(ws, client_files(ws, name).cert, days_left=1, lifetime=30)
    assert cli("client", "revoke", "eve", "-w", str(ws.root)).returncode == 0
    old_bob = bob.cert.read_bytes()
    run = cli("rotate", "-w", str(ws.root), "--within-days", "3", "--client", "bob", "--client", "eve", "--no-check")
    assert "client eve: revoked, never renewed" in run.stdout
    assert "renewed the client bob: expires" in run.stdout and "hand the new clients/bob/bob.p12 to its holder" in run.stdout
    assert bob.cert.read_bytes() != old_bob and bob.password.read_text() == password and oct(bob.password.stat().st_mode)[-3:] == "600"
    assert pki.p12_protection(bob.p12.read_bytes())  # still a .p12, and it opens with the kept password:
    from cryptography.hazmat.primitives.serialization import pkcs12
    assert pkcs12.load_key_and_certificates(bob.p12.read_bytes(), password.strip().encode())[1] is not None
    assert run.returncode == 1 and "no upload is recorded" in run.stderr  # the server and CA are fine; nothing was uploaded


def test_rotate_holds_the_workspace_lock(cli, uploaded: Workspace, cloud_env: dict) -> None:  # noqa: ANN001
    with uploaded.locked():
        run = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", env=cloud_env)
    assert run.returncode == 1 and "another mtls-wizard is working on this workspace" in run.stderr
    assert uploaded.cert("server").read_bytes()  # untouched: it waited, then stopped


def test_the_tui_core_call_moves_the_recorded_listener_with_nothing_typed(uploaded: Workspace, api: FakeElbApi, cloud_env: dict) -> None:
    """What the TUI's steps 4-6 and the summary's renew will call after a renewal."""
    from wizard.lifecycle import renew
    from wizard.record import record

    session = SessionStore().load(uploaded.root)
    assert session is not None and elb.recorded_listener(session, uploaded)["port"] == "8443"
    record(session, renew.renew_server(uploaded))
    lines: list[str] = []
    result = elb.move_recorded_listener(uploaded, session, log=lines.append)
    record(session, result)
    assert result.listener_updated and result.deleted and session.is_done(6)
    assert api.listeners[result.listener_id]["default_tls_container_ref"] == result.server_cert_id
    assert any("moving the recorded listener" in line for line in lines)


def test_rotate_speaks_the_language(cli, uploaded: Workspace, api: FakeElbApi, cloud_env: dict) -> None:  # noqa: ANN001
    from support.i18n_helpers import untranslated_words

    dry = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--dry-run", env={"MTLS_WIZARD_LANG": "qps"})
    done = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", "--no-check", env={**cloud_env, "MTLS_WIZARD_LANG": "qps"})
    again = cli("rotate", "-w", str(uploaded.root), "--within-days", "3", env={**cloud_env, "MTLS_WIZARD_LANG": "qps"})
    assert (dry.returncode, done.returncode, again.returncode) == (0, 0, 0), done.stderr
    for run in (dry, done, again):
        assert untranslated_words(run.stdout + run.stderr, allowed=("elb-lb-dedicated", "localhost-server")) == [], run.stdout + run.stderr
