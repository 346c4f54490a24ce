"""Benchmark: the whole `mtls-wizard generate` process against the tutorial's openssl commands.

Both build steps 1-3 with RSA-2048 keys in a fresh folder each run:
  (a) `python -m wizard generate --workspace W --server-cn www.test.com`, password from the
      environment (one process: interpreter start-up, imports, keys, certificates, .p12);
  (b) the tutorial's sequence as separate openssl processes, with its config files:
      genrsa / req / x509 -req (-signkey) for the CA, genrsa / req / x509 -req -CA for the
      server and the client, then pkcs12 -export.
The two are run alternately so drifts in machine load hit both alike.
Target: generate median <= 0.8x the openssl sequence median.

Run:  python bench/bench_generate.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median_ms, timed

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password"

# The tutorial's configuration files (subject only: it adds no extensions).
CA_CONF = "[ req ]\ndistinguished_name = req_distinguished_name\nprompt = no\n[ req_distinguished_name ]\nO = ELB\n"
LEAF_CONF = CA_CONF + "CN = www.test.com\n"


def tutorial_commands(digest: str) -> list[tuple[str, list[str]]]:
    """(folder, argv) pairs in the tutorial's order; folders are ca/, server/, client/."""
    return [
        ("ca", ["openssl", "genrsa", "-out", "ca.key", "2048"]),
        ("ca", ["openssl", "req", "-out", "ca.csr", "-key", "ca.key", "-new", "-config", "./ca_cert.conf"]),
        ("ca", ["openssl", "x509", "-req", "-in", "ca.csr", "-out", "ca.crt", digest, "-days", "5000", "-signkey", "ca.key"]),
        ("server", ["openssl", "genrsa", "-out", "server.key", "2048"]),
        ("server", ["openssl", "req", "-out", "server.csr", "-key", "server.key", "-new", "-config", "./server_cert.conf"]),
        ("server", ["openssl", "x509", "-req", "-in", "server.csr", "-out", "server.crt", digest, "-CAcreateserial",
                    "-days", "5000", "-CA", "../ca/ca.crt", "-CAkey", "../ca/ca.key"]),
        ("client", ["openssl", "genrsa", "-out", "client.key", "2048"]),
        ("client", ["openssl", "req", "-out", "client.csr", "-key", "client.key", "-new", "-config", "./client_cert.conf"]),
        ("client", ["openssl", "x509", "-req", "-in", "client.csr", "-out", "client.crt", digest, "-CAcreateserial",
                    "-days", "5000", "-CA", "../ca/ca.crt", "-CAkey", "../ca/ca.key"]),
        # The tutorial answers a password prompt; here the password comes from the environment.
        ("client", ["openssl", "pkcs12", "-export", "-clcerts", "-in", "client.crt", "-inkey", "client.key",
                    "-out", "client.p12", "-passout", "env:BENCH_P12_PASSWORD"]),
    ]


def run_tutorial(base: Path, digest: str) -> None:
    for role, conf in (("ca", CA_CONF), ("server", LEAF_CONF), ("client", LEAF_CONF)):
        (base / role).mkdir(parents=True)
        (base / role / f"{role}_cert.conf").write_text(conf)
    env = {**os.environ, "BENCH_P12_PASSWORD": PASSWORD}
    for folder, argv in tutorial_commands(digest):
        subprocess.run(argv, cwd=base / folder, env=env, check=True, capture_output=True)


def run_generate(base: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "wizard", "generate", "--workspace", str(base / "workspace"),
         "--server-cn", "www.test.com", "--key-type", "rsa2048"],
        env=env, check=True, capture_output=True,
    )


def pick_digest(scratch: Path) -> tuple[str, str]:
    """The tutorial's -sha1, unless this OpenSSL's security level refuses it."""
    try:
        run_tutorial(scratch / "probe", "-sha1")
        subprocess.run(["openssl", "x509", "-in", str(scratch / "probe" / "server" / "server.crt"), "-noout"],
                       check=True, capture_output=True)
        return "-sha1", "the tutorial's -sha1 works on this OpenSSL"
    except subprocess.CalledProcessError:
        return "-sha256", "the tutorial's -sha1 fails on this OpenSSL, so the baseline uses -sha256"



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        print("needs openssl on PATH", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as folder:
        scratch = Path(folder)
        digest, digest_note = pick_digest(scratch)
        env = {**os.environ, "MTLS_WIZARD_P12_PASSWORD": PASSWORD, "MTLS_WIZARD_DATA_DIR": str(scratch / "data"),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        # One untimed run of each warms the page cache (interpreter, libraries, openssl).
        run_generate(scratch / "warm-wizard", env)
        run_tutorial(scratch / "warm-openssl", digest)

        wizard_times: list[float] = []
        openssl_times: list[float] = []
        for index in range(args.rounds):
            first_wizard = index % 2 == 0
            for which in ("wizard", "openssl") if first_wizard else ("openssl", "wizard"):
                base = scratch / f"{which}-{index}"
                if which == "wizard":
                    wizard_times.append(timed(lambda: run_generate(base, env)))
                else:
                    openssl_times.append(timed(lambda: run_tutorial(base, digest)))

    wizard_ms = median_ms(wizard_times)
    openssl_ms = median_ms(openssl_times)
    ratio = wizard_ms / openssl_ms
    print(f"rounds: {args.rounds} each, alternated; RSA-2048; {digest_note}")
    print(f"mtls-wizard generate (whole process): median {wizard_ms:7.1f} ms")
    print(f"tutorial openssl sequence (10 procs): median {openssl_ms:7.1f} ms")
    print(f"ratio wizard / openssl: {ratio:.2f}x  (target <= 0.80x: {'met' if ratio <= 0.8 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
