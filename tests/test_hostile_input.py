"""Hostile files, through the real `mtls-wizard` command.

- what `inspect` reads is bounded: no FIFO hang, no /dev/zero flood, no 200 MB read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, console_script

from wizard import pki
from wizard.workspace import MAX_FILE_BYTES, Workspace

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
GENERATE = ("generate", "--server-cn", "localhost", "--key-type", "ec-p256")


def one_line(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


# ---------------------------------------------------------------------------
# Item 7: bounded reading
# ---------------------------------------------------------------------------


def bounded(cli: CliRunner, *args: str) -> subprocess.CompletedProcess:
    """Run a command that used to hang or eat memory; a hang fails the test (TimeoutExpired).
    How fast the refusal is, is measured outside the tests."""
    return cli(*args, timeout=30)


def test_inspect_refuses_a_fifo_at_once(tmp_path: Path, cli: CliRunner) -> None:
    fifo = tmp_path / "pipe.crt"
    os.mkfifo(fifo)
    assert "named pipe" in one_line(bounded(cli, "inspect", str(fifo)), 2)


def test_inspect_refuses_a_device(cli: CliRunner) -> None:
    assert "a device, not a file" in one_line(bounded(cli, "inspect", "/dev/zero"), 2)


def test_inspect_refuses_a_huge_file_without_reading_it(tmp_path: Path, cli: CliRunner) -> None:
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    assert "over 1024 KiB" in one_line(bounded(cli, "inspect", str(huge)), 2)
    just_over = tmp_path / "just-over.pem"
    just_over.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"A" * MAX_FILE_BYTES)
    assert "over 1024 KiB" in one_line(cli("inspect", str(just_over)), 2)


def test_password_files_are_bounded_but_a_pipe_still_works(tmp_path: Path, cli: CliRunner) -> None:
    base = (*GENERATE, "--workspace", str(tmp_path / "ws"))
    assert "a device, not a file" in one_line(cli(*base, "--p12-password-file", "/dev/zero"), 2)
    fifo = tmp_path / "no-writer"
    os.mkfifo(fifo)
    assert "is empty" in one_line(bounded(cli, *base, "--p12-password-file", str(fifo)), 2)  # nobody writes: no hang
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    command = 'exec "$0" "$@" --p12-password-file <(printf "%s\\n" "piped secret")'
    piped = subprocess.run([bash, "-c", command, console_script(), *base], capture_output=True, text=True, timeout=60,
                           env={**os.environ}, stdin=subprocess.DEVNULL)
    assert piped.returncode == 0, piped.stderr
    assert pki.load_p12(Workspace(tmp_path / "ws").p12.read_bytes(), "piped secret").key is not None
