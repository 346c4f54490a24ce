"""Running the installed command on a pseudo-terminal, as a person at a keyboard does: the
hidden prompts (getpass) are answered once they have turned echo off."""

from __future__ import annotations

import os
import pty
import select
import termios
import time

from conftest import console_script


def run_on_a_terminal(argv: list[str], answers: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as its controlling terminal; type each answer at a prompt."""
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes the command
        command = console_script()
        os.execve(command, [command, *argv], env)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith(b":"):
                # getpass turns echo off around its prompt: answer once it has (no race with the prompt)
                while termios.tcgetattr(master)[3] & termios.ECHO and time.monotonic() < deadline:
                    time.sleep(0.01)
                os.write(master, pending.pop(0).encode() + b"\n")
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")
