"""`mtls-wizard practice` as a real process: steps 4-6 on the practice load balancer from the
workspace, recorded as practice, then served; `check` passes against it, fails once it is switched
to one-way authentication or another team's CA, and passes again; bad options are one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CliRunner
from support.foreground import Foreground

from wizard.session import SessionStore
from wizard.workspace import Workspace


@pytest.fixture
def ws(pki_workspace: Workspace, tmp_path: Path) -> Workspace:
    root = tmp_path / "workspace"
    shutil.copytree(pki_workspace.root, root)
    return Workspace(root)


def practice(data_dir: Path, ws: Workspace, *options: str) -> Foreground:
    running = Foreground(data_dir, "practice", "--workspace", str(ws.root), "--port", "0", *options)
    assert running.started, running.stop()
    return running


def check(cli: CliRunner, running: Foreground) -> tuple[int, str]:
    command = running.line("try:").removeprefix("try:").split()
    assert command[:2] == ["mtls-wizard", "check"]
    done = cli(*command[1:], "--timeout", "5", timeout=60)
    return done.returncode, done.stdout


def test_practice_does_steps_4_to_6_records_them_and_serves_what_check_passes(cli: CliRunner, ws: Workspace,
                                                                              isolated_data_dir: Path) -> None:
    with practice(isolated_data_dir, ws, "--forward-client-cert", "serialnumber") as running:
        code, output = check(cli, running)
        stdout, stderr, exit_code = running.stop()
    assert code == 0 and output.splitlines()[-1].startswith("PASS:"), output
    assert "HTTP/1.1 400 Bad Request with nginx's (and ELB's) refusal page 'No required SSL certificate was sent'" in output
    assert "'The SSL certificate error'" in output  # the stranger, refused as nginx (and ELB) refuse it
    printed = "\n".join(running.lines)
    recorded = json.loads((ws.elb_dir / "uploaded.json").read_text())["practice"]
    assert f"step 4: the server certificate added to the practice load balancer as {recorded['server']['id']}" in printed
    assert f"step 5: the CA certificate added to the practice load balancer as {recorded['ca']['id']}" in printed
    assert f"step 6: listener {recorded['listener']['id']}, HTTPS on port {running.port}: mutual authentication" in printed
    assert "accepted: CN=client,O=ELB" in stdout and "Goodbye" in stdout and exit_code == 0 and "Traceback" not in stderr
    session = SessionStore().load(ws.root)
    assert session is not None and session.practising and {4, 5, 6, 7} <= set(session.steps_done)  # 7: check's PASS
    assert {role: record["id"] for role, record in session.practice.items()} == {role: record["id"] for role, record in recorded.items()}
    assert session.practice_port == running.port and not session.server_cert_id  # nothing claimed about ELB
    # What it holds, as ELB holds it: the key only in the 0600 file, never in the record or the session.
    assert (ws.elb_dir / "practice-held.json").stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" not in (ws.elb_dir / "uploaded.json").read_text()
    assert "PRIVATE KEY" not in SessionStore().path_for(ws.root).read_text()


def test_one_way_or_another_ca_fails_with_the_diagnosis_and_mutual_passes_again(cli: CliRunner, ws: Workspace,
                                                                                isolated_data_dir: Path) -> None:
    results = {}
    for name, options in {"one-way": ("--ssl-auth", "one-way"), "other": ("--ssl-auth", "mutual", "--ca", "other"), "mutual": ("--ca", "yours")}.items():
        with practice(isolated_data_dir, ws, *options) as running:
            results[name] = check(cli, running)
    assert results["one-way"][0] == 1 and "FAIL: mutual authentication is not enforced" in results["one-way"][1]
    assert "Turn on mutual authentication" in " ".join(results["one-way"][1].split())
    assert results["other"][0] == 1 and "FAIL: our client certificate is refused" in results["other"][1]
    assert "Another Team Root CA (practice)" in results["other"][1] and "(ours is NOT among them)" in results["other"][1]
    assert results["mutual"][0] == 0, results["mutual"][1]  # (mutual: the session's choice from the run before)
    recorded = json.loads((ws.elb_dir / "uploaded.json").read_text())["practice"]
    assert recorded["listener"]["ssl_auth"] == "mutual" and recorded["listener"]["ca_cert_id"] == recorded["ca"]["id"]


def test_the_certificates_keep_their_ids_and_real_uploads_stay_recorded(cli: CliRunner, ws: Workspace, isolated_data_dir: Path) -> None:
    ws.elb_dir.mkdir(exist_ok=True)
    elb_record = {"version": 1, "server": {"id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "fingerprint": "AA", "region": "cn-north-4",
                                           "project_id": "p"}}
    (ws.elb_dir / "uploaded.json").write_text(json.dumps(elb_record))
    ids = []
    for _run in range(2):
        with practice(isolated_data_dir, ws) as running:
            ids.append(json.loads((ws.elb_dir / "uploaded.json").read_text())["practice"])
            printed = "\n".join(running.lines)
    assert [run["server"]["id"] for run in ids][0] == ids[1]["server"]["id"] and ids[0]["listener"]["id"] == ids[1]["listener"]["id"]
    assert "held by the practice load balancer as" in printed and "(the same one, kept)" in printed
    data = json.loads((ws.elb_dir / "uploaded.json").read_text())
    assert data["server"] == elb_record["server"]  # the real upload's record, untouched


@pytest.mark.parametrize(("options", "words"), [
    (("--host", "192.0.2.1"), "listens on this machine only"),
    (("--backend", "https://127.0.0.1:8080"), "http://127.0.0.1:PORT"),
    (("--backend", "http://192.0.2.1:8080"), "forwards only to this machine"),
    (("--tls-policy", "tls-9"), "unknown TLS policy"),
    (("--forward-client-cert", "bogus"), "unknown client certificate field"),
    (("--ssl-auth", "both"), "invalid choice"),
])
def test_bad_options_are_one_line_before_anything_is_recorded(cli: CliRunner, ws: Workspace, options: tuple[str, ...], words: str) -> None:
    done = cli("practice", "--workspace", str(ws.root), "--port", "0", *options)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert not (ws.elb_dir / "uploaded.json").exists()


def test_without_certificates_it_says_which_step_comes_first(cli: CliRunner, tmp_path: Path) -> None:
    done = cli("practice", "--workspace", str(tmp_path / "empty"), "--port", "0")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "generate" in done.stderr and len(done.stderr.strip().splitlines()) == 1
