"""One writer at a time: the workspace lock, raced by real processes.

Two `generate` runs on one workspace used to interleave: certificates signed by a CA key
that was no longer on disk, a key that did not match its certificate, a fingerprint printed
for a CA that was not there. Here real processes race for many rounds and every workspace
left behind must be whole: each key matches its certificate, each certificate verifies
against the CA on disk (`openssl verify`), and what a successful run printed is on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, make_pki
from support.lock_holder import HOLDER, env, start

from wizard import pki
from wizard.errors import WizardError
from wizard.workspace import LOCK_NAME, Workspace, WorkspaceBusy

# HOLDER (support.lock_holder) holds the workspace lock until its stdin closes (or it is killed).
# A racer imports everything first and waits for the start signal on stdin, so both runs
# really overlap (start-up time would otherwise decide who goes first).
RACER = """
import sys
import wizard.cli, wizard.cli.certificates, wizard.steps
print("ready", flush=True)
sys.stdin.readline()
sys.exit(wizard.cli.main(sys.argv[1:]))
"""


GENERATE = ("generate", "--server-cn", "localhost", "--key-type", "ec-p256")


def need(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


def race(ws: Path, data_dir: Path, *extra: str) -> list[tuple[int, str, str]]:
    """Two real `generate` runs on `ws`, released at the same moment; (code, stdout, stderr) each."""
    racers = [start(RACER, [*GENERATE, "--workspace", str(ws), *extra], data_dir) for _ in range(2)]
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    return [(racer.wait(timeout=60), *racer.communicate()) for racer in racers]


def verify(ca: Path, *certs: Path) -> bool:
    result = subprocess.run([need("openssl"), "verify", "-CAfile", str(ca), *map(str, certs)], capture_output=True, text=True, timeout=30)
    return result.returncode == 0 and result.stdout.count(": OK") == len(certs)


def assert_whole(root: Path) -> str:
    """Every key matches its certificate and every leaf verifies against the CA on disk;
    returns the CA fingerprint."""
    ws = Workspace(root)
    for role in ("ca", "server", "client"):
        key = pki.load_key_pem(ws.key(role).read_bytes())
        cert = pki.load_cert_pem(ws.cert(role).read_bytes())
        assert pki.keys_match(key, cert), f"{role}.key does not match {role}.crt"
    assert verify(ws.cert("ca"), ws.cert("server"), ws.cert("client")), "a certificate does not verify against ca.crt"
    bundle = pki.load_p12(ws.p12.read_bytes(), P12_PASSWORD)
    assert bundle.cert is not None and bundle.cert.certificate == pki.load_cert_pem(ws.cert("client").read_bytes())
    assert not [p for p in root.rglob("*.tmp")], "a temp file was left behind"
    return pki.fingerprint(pki.load_cert_pem(ws.cert("ca").read_bytes()))


def printed_ca_fingerprint(stdout: str) -> str:
    match = re.search(r"Step 1  CA: .*\n.*\n  SHA-256      (\S+)", stdout)
    assert match, stdout
    return match.group(1)


def assert_clean_exit(code: int, stderr: str) -> None:
    assert code in (0, 1), stderr
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr


ROUNDS = 25  # each round is two real processes; before the lock, most runs of 25 went wrong


def test_racing_generate_runs_on_an_empty_workspace_leave_one_whole_pki(tmp_path: Path, isolated_data_dir: Path) -> None:
    for round_ in range(ROUNDS):
        root = tmp_path / f"round-{round_}"
        results = race(root, isolated_data_dir)
        for code, _, stderr in results:
            assert_clean_exit(code, stderr)
        winners = [stdout for code, stdout, _ in results if code == 0]
        assert len(winners) == 1, f"round {round_}: {len(winners)} runs claim to have made the PKI"
        loser = next(stderr for code, _, stderr in results if code == 1)
        assert "already exists" in loser or "another mtls-wizard" in loser, loser
        assert printed_ca_fingerprint(winners[0]) == assert_whole(root)


def test_racing_force_runs_never_mix_keys_and_certificates(tmp_path: Path, isolated_data_dir: Path) -> None:
    root = tmp_path / "ws"
    make_pki(root)
    ca_fingerprint = assert_whole(root)
    for round_ in range(ROUNDS):
        results = race(root, isolated_data_dir, "--force")
        for code, stdout, stderr in results:
            assert_clean_exit(code, stderr)
            if code == 0:  # the CA is reused: what was printed is what is on disk
                assert printed_ca_fingerprint(stdout) == ca_fingerprint
        assert any(code == 0 for code, _, _ in results), f"round {round_}: neither run finished"
        assert assert_whole(root) == ca_fingerprint


def test_racing_new_ca_runs_leave_a_whole_pki(tmp_path: Path, isolated_data_dir: Path) -> None:
    root = tmp_path / "ws"
    make_pki(root)
    for _ in range(10):
        results = race(root, isolated_data_dir, "--new-ca")
        for code, _, stderr in results:
            assert_clean_exit(code, stderr)
        assert any(code == 0 for code, _, _ in results)
        assert_whole(root)


# ---------------------------------------------------------------------------
# Waiting, the holder's pid, stale locks
# ---------------------------------------------------------------------------


def test_a_second_writer_waits_then_names_the_holder(tmp_path: Path, cli, isolated_data_dir: Path) -> None:  # noqa: ANN001
    root = tmp_path / "ws"
    holder = start(HOLDER, [str(root)], isolated_data_dir)
    try:
        result = cli(*GENERATE, "--workspace", str(root), env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    finally:
        holder.communicate(input="", timeout=30)
    assert result.returncode == 1, result.stderr
    assert f"another mtls-wizard is working on this workspace (pid {holder.pid})" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not Workspace(root).cert("ca").exists()
    # once the holder is gone, the same command works
    assert cli(*GENERATE, "--workspace", str(root), env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}).returncode == 0


def test_a_lock_left_by_a_killed_process_never_blocks(tmp_path: Path, cli, isolated_data_dir: Path) -> None:  # noqa: ANN001
    root = tmp_path / "ws"
    holder = start(HOLDER, [str(root)], isolated_data_dir)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)
    assert (root / LOCK_NAME).exists()  # the file stays; the kernel dropped the lock with the process
    result = cli(*GENERATE, "--workspace", str(root), env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert result.returncode == 0, result.stderr  # a lock that blocked would end in "another mtls-wizard ..."


def test_the_lock_file_is_private_and_names_its_holder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with ws.locked():
        lock_file = ws.root / LOCK_NAME
        assert lock_file.read_text().strip() == str(os.getpid())
        assert lock_file.stat().st_mode & 0o777 == 0o600
    assert (ws.root.stat().st_mode & 0o777) == 0o700  # the tool made the folder


# ---------------------------------------------------------------------------
# Re-entrancy and threads (the TUI's workers share one process)
# ---------------------------------------------------------------------------


def test_the_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    with ws.locked(), ws.locked(), Workspace(tmp_path / "ws").locked():
        pass
    # released: another process gets it at once
    check = subprocess.run([sys.executable, "-c", HOLDER, str(ws.root)], input="", capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert check.returncode == 0 and "locked" in check.stdout


def test_another_thread_waits_for_the_lock(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with ws.locked():
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with ws.locked():
        inside.set()
        time.sleep(0.3)
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]


def test_another_thread_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    errors: list[str] = []

    def second() -> None:
        try:
            with ws.locked(wait=0.2):
                pass
        except WorkspaceBusy as error:
            errors.append(str(error))

    with ws.locked():
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=10)
    assert errors and f"pid {os.getpid()}" in errors[0] and "this workspace" in errors[0]
    assert isinstance(WorkspaceBusy("x"), WizardError) and WorkspaceBusy.exit_code == 1


def test_a_symlink_in_place_of_the_lock_file_is_refused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.root.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (ws.root / LOCK_NAME).symlink_to(victim)
    with pytest.raises(WizardError, match="lock"):
        with ws.locked():
            pass
    assert victim.read_text() == "precious\n"


# ---------------------------------------------------------------------------
# Another run writes while this one generates its keys (the lock is not held then)
# ---------------------------------------------------------------------------


def test_a_run_that_loses_the_race_says_why_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_data_dir: Path) -> None:
    from wizard import steps
    from wizard.session import Session

    root = tmp_path / "ws"
    real_generate_keys = steps.generate_keys

    def keys_while_another_run_writes(key_types: list[str]) -> list:  # noqa: ANN401
        other = subprocess.run([sys.executable, "-c", RACER, *GENERATE, "--workspace", str(root)], input="go\n",
                               capture_output=True, text=True, env=env(isolated_data_dir), timeout=60, cwd=isolated_data_dir)
        assert other.returncode == 0, other.stderr
        return real_generate_keys(key_types)

    monkeypatch.setattr(steps, "generate_keys", keys_while_another_run_writes)
    session = Session(workspace=str(root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    with pytest.raises(WizardError) as raised:
        steps.generate(Workspace(root), session, P12_PASSWORD)
    message = str(raised.value)
    assert "changed while this run was generating keys" in message and "another mtls-wizard" in message and "wrote nothing" in message
    assert_whole(root)  # the other run's PKI, whole and untouched: no backup, nothing replaced
    assert list(root.glob("backup-*")) == []


# ---------------------------------------------------------------------------
# Temp files of a killed run (item 8)
# ---------------------------------------------------------------------------

# Writes server.key under the lock, but stops half-way (fsync never returns) until killed.
STALLED_WRITER = """
import os, sys, time
from wizard.workspace import SECRET_MODE, Workspace, atomic_write
ws = Workspace(sys.argv[1])

def stalled(fd):
    print("writing", flush=True)
    time.sleep(600)

with ws.locked():
    ws.ensure()
    os.fsync = stalled
    atomic_write(ws.key("server"), b"-----BEGIN PRIVATE KEY-----\\nnot really\\n", SECRET_MODE)
"""


def test_temp_files_of_a_killed_run_are_removed_by_the_next_locked_run(tmp_path: Path, cli, isolated_data_dir: Path) -> None:  # noqa: ANN001
    root = tmp_path / "ws"
    writer = subprocess.Popen([sys.executable, "-c", STALLED_WRITER, str(root)], stdout=subprocess.PIPE, text=True,
                              env=env(isolated_data_dir), cwd=isolated_data_dir)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    (temp,) = (root / "server").glob(".server.key.*.tmp")
    assert temp.stat().st_mode & 0o777 == 0o600
    # a live writer's temp file is never touched: the lock is still held
    with pytest.raises(WorkspaceBusy, match=f"pid {writer.pid}"):
        with Workspace(root).locked(wait=0.3):
            pass
    assert temp.exists()
    writer.kill()
    writer.wait(timeout=30)

    # look-alikes that are not ours to remove
    (root / "server" / ".server.key.tmp").write_text("no random part")
    (root / "notes.abcdefgh.tmp").write_text("no leading dot")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = root / "client" / ".client.key.abcd1234.tmp"
    link.symlink_to(victim)
    # a link in the workspace stops the run before anything is removed (issue 30)
    refused = cli(*GENERATE, "--workspace", str(root), env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert refused.returncode == 1 and "client/.client.key.abcd1234.tmp is a symbolic link to" in refused.stderr, refused.stderr
    assert temp.exists() and link.is_symlink() and victim.read_text() == "keep"
    link.unlink()

    result = cli(*GENERATE, "--workspace", str(root), env={"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert not temp.exists()
    assert f"removed 1 temp file(s) left by an interrupted run: server/{temp.name}" in result.stderr
    assert (root / "server" / ".server.key.tmp").exists() and (root / "notes.abcdefgh.tmp").exists()


def test_elb_export_and_upload_hold_the_lock_and_pass_on_its_notices(tmp_path: Path, pki_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outermost holder of the lock cleans up; export and upload report it, so they hold it."""
    from wizard import elb
    from wizard.session import Session

    ws = Workspace(tmp_path / "ws")
    shutil.copytree(pki_workspace.root, ws.root)
    session = Session(workspace=str(ws.root))
    (ws.root / "elb" / ".server-certificate.json.k3y5x9ab.tmp").write_text("left by a killed export")
    done = elb.export(ws, session)
    assert any("removed 1 temp file(s)" in w and "server-certificate.json" in w for w in done.warnings)

    (ws.root / "elb" / ".uploaded.json.a1b2c3d4.tmp").write_text("left by a killed upload")
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK", raising=False)
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK", raising=False)
    lines: list[str] = []
    with pytest.raises(WizardError):  # no credentials: it stops before any network call
        elb.upload(ws, session, region="cn-north-4", project_id="p1", endpoint="http://127.0.0.1:9", log=lines.append)
    assert any("removed 1 temp file(s)" in line and "uploaded.json" in line for line in lines)
    assert not list((ws.root / "elb").glob(".*.tmp"))
