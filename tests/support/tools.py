"""The outside tools the tests judge with (openssl, pkilint, keytool, pk12util): found or skipped, and run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def tool(name: str) -> str:
    """The tool's path; skip (or fail in CI) when it is not installed."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join([os.path.dirname(sys.executable), "/usr/sbin", "/usr/bin"]))
    if found is None:
        message = f"{name} is not installed (apt: openssl / libnss3-tools / default-jre-headless; pip: pkilint)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return found


def run(*argv: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]
