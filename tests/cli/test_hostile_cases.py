"""Hardening, round two: every hostile case of issue 30 as one row of a table.

A shared server, a hostile file, a stuck peer. Each row builds the situation with real files
(and, where the case needs one, a real other account: tests/support/other_user.py), runs the
real `mtls-wizard` process and asserts the exit code, the one-line message and that nothing
in the watched folder was written or lost. The rows for Ctrl+C and `kill -9` during a batch
send the real signals to the real process.

The situations are built by tests/support/hostile_setups.py. Pinned elsewhere, because they are
not a command's run: the TUI's Copy of a private key asking first
(tests/tui/test_app_elb_route.py), and the ELB deadline leaving no call running in one process
(tests/cli/test_elb_hostile.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import (
    ELB_AK,
    ELB_PROJECT,
    ELB_REGION,
    P12_PASSWORD,
    console_script,
    make_pki,
)
from support.hostile_setups import (
    PASSWORD,
    Ctx,
    ascii_stdout_generate,
    brought_ca,
    brought_long_chain,
    client_folder_link,
    elb_link,
    fresh_workspace_elsewhere,
    group_writable_ca_folder,
    hostile_api,
    listener_with_a_server_certificate_of_another_ca,
    names_file,
    no_key_was_sent,
    no_server_or_client_issued,
    no_warning_lines,
    nothing_in,
    nothing_made,
    open_workspace,
    pass_says_server_not_verified,
    password_file,
    planted_ca_folder,
    planted_client_file,
    planted_lock_file,
    planted_shared_workspace,
    readable_ca_key,
    rebuilt_and_never_backwards,
    record_deleted,
    record_says,
    record_with,
    run,
    silent_pipe,
    stopped_after_the_first_handshake,
    workspace_link,
)
from support.other_user import other_user

from wizard import clients, pki
from wizard.clients import ClientOptions
from wizard.environment import ENV_AK, ENV_SK
from wizard.workspace import LOCK_NAME

GENERATE = ("generate", "--server-cn", "localhost", "--key-type", "ec-p256")
UPLOAD = ("elb", "upload", "--workspace", "{ws}", "--region", ELB_REGION, "--project-id", ELB_PROJECT, "--endpoint")
# The cloud SDK's credentials, and no proxy between it and a peer on loopback.
CLOUD = {ENV_AK: ELB_AK, ENV_SK: "SK-hostile-cases", "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1"}


@dataclass(frozen=True)
class Row:
    case: str  # the issue's words
    setup: Callable[[Ctx], None]
    argv: tuple[str, ...]  # after `mtls-wizard`; {ws}, {tmp} and a setup's {address} or {endpoint} are filled in
    code: int
    says: str  # a regular expression the (one-line) stderr matches
    watch: str | None = "{ws}"  # this folder must not change at all (None: the row checks itself)
    env: dict[str, str] = field(default_factory=dict)
    other_user: bool = False
    then: Callable[[Ctx, subprocess.CompletedProcess], None] | None = None  # what else must hold
    one_line: bool = True


# ---------------------------------------------------------------------------
# The world the rows start from
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the tutorial's client, bob (revoked) and carol, made once."""
    ws = make_pki(tmp_path_factory.mktemp("hostile") / "ws")
    issued = clients.issue_clients(ws, ["bob", "carol"], P12_PASSWORD, ClientOptions(key_type="ec-p256"))
    assert not issued.failed, issued.failed
    clients.revoke(ws, "bob", "keyCompromise")
    return ws.root


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under `root` (links not followed) with its mode and content (or link target)."""
    if not os.path.lexists(root):
        return {}
    found: dict[str, tuple[int, str]] = {}
    for path in [root, *root.rglob("*")]:
        if path.name == LOCK_NAME:
            continue  # each run that takes the lock writes its pid there
        info = os.lstat(path)
        if path.is_symlink():
            content = "-> " + os.readlink(path)
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = ""
        found[str(path.relative_to(root))] = (info.st_mode, f"{info.st_uid}:{content}")
    return found




# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

LIST = ("client", "list", "--workspace", "{ws}")

ROWS = [
    # 1. Trust nothing another user planted
    Row("another account pre-created mtls-workspace/ca/ (777) with its own CA in a shared folder", planted_shared_workspace,
        (*GENERATE, "--workspace", "{ws}"), 1, r"mtls-workspace belongs to mtlsw-other \(uid \d+\), not to you .*use a workspace folder of your own",
        other_user=True, then=no_server_or_client_issued),
    Row("another user owns the workspace's ca/ folder", planted_ca_folder, ("client", "issue", "dave", "--workspace", "{ws}"), 1,
        r"/ca belongs to mtlsw-other .*not to you", other_user=True),
    Row("another user's lock file blocks us", planted_lock_file, ("client", "issue", "dave", "--workspace", "{ws}"), 1,
        r"the lock file .*\.mtls-wizard\.lock belongs to mtlsw-other .*remove the lock file", other_user=True),
    Row("another user's file inside a client folder", planted_client_file, LIST, 1, r"carol\.crt belongs to mtlsw-other", other_user=True),
    Row("a folder another group may write", group_writable_ca_folder, ("client", "issue", "dave", "--workspace", "{ws}"), 1,
        r"/ca can be written by other users \(mode 770", other_user=True),
    Row("a workspace folder others may write (777)", open_workspace, (*GENERATE, "--workspace", "{ws}", "--force"), 1,
        r"can be written by other users \(mode 777, owner .*chmod go-w"),
    Row("a CA key others may read (644)", readable_ca_key, ("client", "issue", "dave", "--workspace", "{ws}"), 1,
        r"ca/ca\.key is a private key that other users can read \(mode 644.*chmod 600"),
    Row("the workspace given as a symlink", workspace_link, LIST, 1, r"the workspace .*/link is a symbolic link to .*/ws: .*--workspace"),
    Row("a symlinked elb/ would receive the private key outside the workspace", elb_link, ("elb", "export", "--workspace", "{ws}"), 1,
        r"/elb is a symbolic link to .*/outside: mtls-wizard follows no links", then=nothing_in("outside")),
    Row("a symlinked clients/eve would put eve.key into a 0777 folder", client_folder_link, ("client", "issue", "eve", "--workspace", "{ws}"), 1,
        r"clients/eve is a symbolic link to .*/open", then=nothing_in("open")),
    Row("a workspace inside another workspace's ca/", lambda ctx: None, (*GENERATE, "--workspace", "{ws}/ca/inner"), 2,
        r"ws/ca/inner is inside ca/ of the workspace .*/ws: .*choose a folder outside it"),
    # 2. Revocation data is validated
    Row("revoked.json replaced by garbage: client list", record_says("garbage{"), LIST, 1,
        r"ca/revoked\.json is damaged \(it is not JSON.*nothing was changed; rebuild it from the CRL: mtls-wizard client rebuild-record --workspace"),
    Row("revoked.json garbage: status", record_says("garbage{"), ("status", "--workspace", "{ws}"), 1, r"ca/revoked\.json is damaged"),
    Row("revoked.json garbage: inspect --client", record_says("garbage{"), ("inspect", "--client", "bob", "--workspace", "{ws}"), 1,
        r"ca/revoked\.json is damaged"),
    Row("revoked.json deleted: the next revocation", record_deleted, ("client", "revoke", "carol", "--workspace", "{ws}"), 1,
        r"ca/revoked\.json is missing but ca/crl\.pem exists.*client rebuild-record"),
    Row("a serial \"ZZZZ\"", record_with(entry_serial="ZZZZ"), ("client", "revoke", "carol", "--workspace", "{ws}"), 1,
        r"revocation 1: serial 'ZZZZ' is not 1-40 hexadecimal digits"),
    Row("a serial that is a list of numbers", record_with(entry_serial=[1, 2]), ("client", "crl", "--workspace", "{ws}"), 1,
        r"revocation 1: serial \[1, 2\] is not"),
    Row("crl_number 1e400", record_says('{"version": 1, "crl_number": 1e400, "revoked": []}'), ("client", "crl", "--workspace", "{ws}"), 1,
        r"crl_number inf is not a whole number"),
    Row("deep nesting", record_says("[" * 100_000), LIST, 1, r"is damaged \(it is nested too deeply\)"),
    Row("the record rebuilt from the CRL, and the CRL number never goes backwards", record_deleted,
        ("client", "rebuild-record", "--workspace", "{ws}"), 0, r"", watch=None, one_line=False, then=rebuilt_and_never_backwards),
    # 3. Secrets stay where they belong (the README's password example: test_the_readme_never_types_a_password)
    Row("check against a listener whose server certificate another CA issued: stops after the first handshake",
        listener_with_a_server_certificate_of_another_ca, ("check", "{address}", "--workspace", "{ws}", "--timeout", "10"), 1, r"",
        watch=None, one_line=False, then=stopped_after_the_first_handshake),  # (the FAIL verdict is recorded in progress.json)
    Row("check --insecure against it: the PASS line says the server was not verified", listener_with_a_server_certificate_of_another_ca,
        ("check", "{address}", "--workspace", "{ws}", "--timeout", "10", "--insecure"), 0, r"", watch=None, one_line=False,
        then=pass_says_server_not_verified),
    # were it not refused, the request would go to a proxy on a closed loopback port: never off this machine
    Row("elb upload --endpoint http:// on another machine", lambda ctx: None, (*UPLOAD, "http://192.0.2.10"), 2,
        r"plain http on another machine.*https://", env={**CLOUD, "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
                                                         "NO_PROXY": "", "no_proxy": ""}),
    # 4. Every wait has an end
    Row("a password FIFO whose writer never writes", silent_pipe, ("client", "issue", "dave", "--workspace", "{ws}", "--p12-password-file", "{tmp}/pw"),
        2, r"cannot read the password file .*/pw: the pipe delivered nothing complete within 1 s", env={"MTLS_WIZARD_PASSWORD_WAIT": "1"}),
    Row("100,000 names: a stated limit, checked at once", names_file(100_000), ("client", "issue", "--from", "{tmp}/names", "--workspace", "{ws}"),
        2, r"more than 10000 client names in one run: split the list"),
    Row("an ELB API that trickles its answer: the call's deadline names the part", hostile_api("trickle"), (*UPLOAD, "{endpoint}", "--timeout", "2"),
        1, r"began to answer but did not finish within 2 s", env=CLOUD, then=no_key_was_sent),
    Row("an ELB API that takes the request and says nothing", hostile_api("silent"), (*UPLOAD, "{endpoint}", "--timeout", "2"), 1,
        r"took the request but sent no answer within 2 s", env=CLOUD, then=no_key_was_sent),
    Row("an ELB API answering with what is not JSON: the upload stops before any key is sent", hostile_api("garbage"),
        (*UPLOAD, "{endpoint}", "--timeout", "2"), 1, r"answered with something that is not the ELB API's JSON .*nothing more was sent",
        env=CLOUD, then=no_key_was_sent),
    # 5. One-line refusals
    Row("a NUL byte in a password file: client issue", password_file(b"abc\x00def\n"),
        ("client", "issue", "dave", "--workspace", "{ws}", "--p12-password-file", "{tmp}/pw"), 2, r"holds a control character \(\\x00\)"),
    Row("a NUL byte in a password file: inspect", password_file(b"abc\x00def\n"),
        ("inspect", "{ws}/clients/carol/carol.p12", "--password-file", "{tmp}/pw"), 2, r"holds a control character \(\\x00\)"),
    Row("an escape character in the password variable", lambda ctx: None, ("client", "issue", "dave", "--workspace", "{ws}"), 2,
        r"the \.p12 password holds a control character \(\\x1b\)", env={"MTLS_WIZARD_P12_PASSWORD": "pass\x1bword"}),
    Row("an ASCII-only stdout in zh_CN: generate falls back, never crashes after writing", fresh_workspace_elsewhere,
        (*GENERATE, "--workspace", "{ws}"), 0, r"", watch=None, one_line=False, then=ascii_stdout_generate,
        env={"PYTHONIOENCODING": "ascii", "MTLS_WIZARD_LANG": "zh_CN"}),
    Row("serve --host with a 300-character name", lambda ctx: None, ("serve", "--workspace", "{ws}", "--host", "a" * 300), 2,
        r"argument --host: 'a{60}… \(300 characters\)' is 300 characters long: a host name has at most 253"),
    Row("serve --host 0.0.0.0 without --public", lambda ctx: None, ("serve", "--workspace", "{ws}", "--host", "0.0.0.0"), 2,
        r"--host 0\.0\.0\.0 lets other machines connect .*add --public"),
    Row("serve --host :: without --public", lambda ctx: None, ("serve", "--workspace", "{ws}", "--host", "::"), 2, r"--host :: lets other machines"),
    Row("a brought chain of 930 certificates", brought_long_chain,
        (*GENERATE, "--workspace", "{ws}", "--server-cert", "{tmp}/server.crt", "--server-key", "{tmp}/server.key", "--server-chain", "{tmp}/chain.pem"),
        2, r"the certificate with its chain is 930 certificates; ELB takes at most 11", watch=None, then=nothing_made),
    Row("a brought CA with a 10,000-character CN", brought_ca(cn="A" * 10_000),
        (*GENERATE, "--workspace", "{ws}", "--ca-cert", "{tmp}/ca.crt", "--ca-key", "{tmp}/ca.key"), 2,
        r"the CA certificate cannot be used: its subject has a CN of 10000 characters, over X\.509's limit of 64", watch=None, then=no_warning_lines),
    Row("a brought RSA-1024 CA", brought_ca(bits=1024), (*GENERATE, "--workspace", "{ws}", "--ca-cert", "{tmp}/ca.crt", "--ca-key", "{tmp}/ca.key"),
        2, r"comes with an RSA key of 1024 bits: .*at least 2048", watch=None, then=nothing_made),
    Row("--days 0 for a client", lambda ctx: None, ("client", "issue", "dave", "--days", "0", "--workspace", "{ws}"), 2,
        r"argument --days: '0': give at least 1 day"),
    Row("--days 0 for a renewal", lambda ctx: None, ("renew", "server", "--days", "0", "--workspace", "{ws}"), 2, r"'0': give at least 1 day"),
    Row("check --timeout 0", lambda ctx: None, ("check", "127.0.0.1:9", "--timeout", "0", "--workspace", "{ws}"), 2,
        r"'0': give a timeout of more than 0 and at most 600 seconds"),
    Row("a client named CON", lambda ctx: None, ("client", "issue", "CON", "--workspace", "{ws}"), 2, r"'CON' cannot name a client: Windows reserves it"),
    Row("a client named aux", lambda ctx: None, ("client", "issue", "aux", "--workspace", "{ws}"), 2, r"'aux' cannot name a client: Windows reserves it"),
    Row("case twins in one batch", lambda ctx: None, ("client", "issue", "Alice", "alice", "--workspace", "{ws}"), 2,
        r"the client names 'alice' and 'Alice' differ only in case"),
    Row("a case twin of an existing client", lambda ctx: None, ("client", "issue", "Carol", "--workspace", "{ws}"), 2,
        r"the client names 'Carol' and 'carol' differ only in case"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.case for row in ROWS])
def test_hostile_case(row: Row, template: Path, tmp_path: Path) -> None:
    ctx = Ctx(tmp=tmp_path, ws=tmp_path / "ws", other=other_user() if row.other_user else None)
    shutil.copytree(template, ctx.ws, symlinks=True)
    try:
        row.setup(ctx)
        watched = Path(row.watch.format(ws=ctx.extra.get("real", ctx.ws), tmp=ctx.tmp)) if row.watch else None
        before = snapshot(watched) if watched else {}
        result = run(ctx, row.argv, row.env)
    finally:
        if "fd" in ctx.extra:
            os.close(ctx.extra["fd"])  # type: ignore[arg-type]
        for close in ctx.extra.get("closers", []):  # type: ignore[attr-defined]
            close()
    assert result.returncode == row.code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    if row.one_line:
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert re.search(row.says, result.stderr), result.stderr
    if watched:
        assert snapshot(watched) == before, "the watched folder changed"
    if row.then:
        row.then(ctx, result)


# ---------------------------------------------------------------------------
# Ctrl+C and kill -9 in the middle of a batch
# ---------------------------------------------------------------------------

BATCH = 2000


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pids: set[int], marker: str) -> set[int]:
    """Which of these pids still run our command (a reused pid runs something else)."""
    still = set()
    for pid in pids:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    still.add(pid)
        except OSError:
            continue
    return still


@pytest.fixture
def batch(template: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Ctx, set[int]]]:
    """A real `client issue --from` of 2000 names, started and seen to issue its first clients."""
    ctx = Ctx(tmp=tmp_path, ws=tmp_path / "ws")
    shutil.copytree(template, ctx.ws, symlinks=True)
    names_file(BATCH, prefix="batch")(ctx)
    process = subprocess.Popen([console_script(), "client", "issue", "--from", str(ctx.tmp / "names"), "--workspace", str(ctx.ws)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                               env={**os.environ, **PASSWORD}, cwd=ctx.tmp)
    try:
        deadline = time.monotonic() + 90
        while len(list((ctx.ws / "clients").glob("batch*/*.p12"))) < 3:
            assert process.poll() is None and time.monotonic() < deadline, "the batch did not get going"
            time.sleep(0.05)
        workers = children_of(process.pid)
        assert workers, "the batch runs in worker processes"
        yield process, ctx, workers
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def complete_clients(ws: Path) -> list[str]:
    """Every batch client folder, each checked to be whole (no half-written client)."""
    names = []
    for folder in sorted((ws / "clients").glob("batch*")):
        name = folder.name
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}{suffix}" for suffix in (".crt", ".csr", ".key", ".p12")), folder
        assert pki.load_p12((folder / f"{name}.p12").read_bytes(), P12_PASSWORD).key is not None
        names.append(name)
    return names


def test_ctrl_c_stops_a_batch_within_two_seconds_keeping_what_is_done(batch: tuple[subprocess.Popen, Ctx, set[int]]) -> None:
    """Row: "Ctrl-C during `client issue --from` (2,000 names) took 75 s to exit"."""
    process, ctx, workers = batch
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=2)
    assert process.returncode == 130, stderr
    issued = complete_clients(ctx.ws)
    assert 3 <= len(issued) < BATCH
    assert re.search(rf"mtls-wizard: interrupted: {len(issued)} of {BATCH} clients issued in .*, each complete", stderr), stderr
    assert "Traceback" not in stderr and sum(line.startswith("batch") for line in stdout.splitlines()) == len(issued)
    assert alive(workers, "client") == set()


def test_kill_9_leaves_no_worker_and_nothing_in_dev_shm(batch: tuple[subprocess.Popen, Ctx, set[int]]) -> None:
    """Row: "`kill -9` of the main process leaves its worker processes, which hold the CA key,
    alive under PID 1, and semaphores in /dev/shm"."""
    process, ctx, workers = batch
    shm_before = set(os.listdir("/dev/shm"))
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 15
    while alive(workers, "client") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(workers, "client") == set(), "a worker holding the CA key outlived its parent"
    # Other tests may use /dev/shm meanwhile: only what stays is a leak.
    while (left := {n for n in set(os.listdir("/dev/shm")) - shm_before if n.startswith("sem.")}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == set(), left
    # and the workspace is free again: the next run takes the lock at once
    again = run(ctx, ("client", "issue", "zed", "--workspace", "{ws}"), {})
    assert again.returncode == 0, again.stderr


def test_serve_on_a_public_address_with_public_warns(capsys: pytest.CaptureFixture[str]) -> None:
    """Row: "`serve --host 0.0.0.0` listens everywhere without a word": with --public it is allowed, with a
    warning (checked in-process: the test itself must not listen beyond loopback)."""
    from wizard.cli.common import check_listen_address

    check_listen_address("0.0.0.0", public=True)
    check_listen_address("127.0.0.1", public=False)
    check_listen_address("::1", public=False)
    check_listen_address("localhost", public=False)
    warned = capsys.readouterr().err
    assert warned.count("\n") == 1 and "warning: listening on 0.0.0.0: other machines can connect" in warned


def test_the_readme_never_types_a_password() -> None:
    """Row: "The README's example types the .p12 password on the command line (shell history)"."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text() + (root / "docs" / "reference.md").read_text()  # the examples are in the reference
    assert not re.search(r"MTLS_WIZARD_P12_PASSWORD=['\"]?\w", readme), "a literal password in the README"
    assert "--p12-password-file" in readme and "read -rs" in readme
