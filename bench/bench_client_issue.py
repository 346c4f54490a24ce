"""Issuing a batch of RSA-2048 clients: `mtls-wizard client issue --from` against an openssl loop.

The same work per client on both sides: a new RSA-2048 key, a CSR, a certificate from the
workspace CA (clientAuth, SHA-256) and a .p12 with AES-256-CBC and PBKDF2 at 100,000
iterations (the wizard's modern .p12; openssl's MAC iteration is turned off, as the wizard's
MAC uses the PKCS#12 default, so neither side does more key derivation than the other).
The wizard runs as the installed console script, start-up and all; the loop runs openssl
four times per client, as a shell script would. Rounds alternate; prints the milliseconds
per client of each round, the medians and the ratio.

Target: at most 0.5x the openssl loop.

    python bench/bench_client_issue.py [--clients 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.5
PASSWORD = "bench pass phrase"
EXTENSIONS = (
    "[ v3_client ]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
)


def console_script() -> str:
    found = shutil.which("mtls-wizard", path=os.path.dirname(sys.executable))
    if found is None:
        raise SystemExit("install the wizard first (pip install .): the mtls-wizard command is not beside this Python")
    return found


def make_workspace(folder: Path, env: dict[str, str]) -> Path:
    workspace = folder / "ws"
    subprocess.run([console_script(), "generate", "-w", str(workspace), "--server-cn", "bench.example.com"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return workspace


def wizard_round(workspace: Path, names: list[str], folder: Path, env: dict[str, str]) -> float:
    names_file = folder / "names.txt"
    names_file.write_text("\n".join(names) + "\n")
    started = time.perf_counter()
    subprocess.run([console_script(), "client", "issue", "--from", str(names_file), "-w", str(workspace), "--key-type", "rsa2048"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) / len(names)


def openssl_round(workspace: Path, names: list[str], folder: Path) -> float:
    ca_cert, ca_key = workspace / "ca" / "ca.crt", workspace / "ca" / "ca.key"
    extfile = folder / "client_ext.conf"
    extfile.write_text(EXTENSIONS)
    env = {**os.environ, "PASS": PASSWORD}
    started = time.perf_counter()
    for name in names:
        out = folder / name
        out.mkdir()
        key, csr, crt, p12 = (out / f"{name}.{suffix}" for suffix in ("key", "csr", "crt", "p12"))
        for argv in (
            ["openssl", "genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)],
            ["openssl", "req", "-new", "-key", str(key), "-subj", f"/O=ELB/CN={name}", "-out", str(csr)],
            ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-sha256", "-days", "825",
             "-set_serial", f"0x{os.urandom(16).hex()}", "-extfile", str(extfile), "-extensions", "v3_client", "-out", str(crt)],
            ["openssl", "pkcs12", "-export", "-in", str(crt), "-inkey", str(key), "-name", name, "-keypbe", "AES-256-CBC",
             "-certpbe", "AES-256-CBC", "-macalg", "sha256", "-iter", "100000", "-nomaciter", "-passout", "env:PASS", "-out", str(p12)],
        ):
            subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) / len(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="clients per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (default 3)")
    args = parser.parse_args()
    wizard_ms: list[float] = []
    openssl_ms: list[float] = []
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        env = {**os.environ, "MTLS_WIZARD_DATA_DIR": str(base / "data"), "MTLS_WIZARD_P12_PASSWORD": PASSWORD}
        workspace = make_workspace(base, env)
        for number in range(args.rounds):
            names = [f"client{number:02d}-{index:04d}" for index in range(args.clients)]
            sides = [("wizard", wizard_ms), ("openssl", openssl_ms)]
            for side, results in (sides if number % 2 == 0 else reversed(sides)):
                folder = base / f"{side}-{number}"
                folder.mkdir()
                seconds = wizard_round(workspace, names, folder, env) if side == "wizard" else openssl_round(workspace, names, folder)
                results.append(seconds * 1000)
                print(f"round {number + 1} {side:8} {seconds * 1000:7.1f} ms per client")
    wizard, openssl = statistics.median(wizard_ms), statistics.median(openssl_ms)
    ratio = wizard / openssl
    print(f"{args.clients} RSA-2048 clients per round, {args.rounds} rounds, {os.cpu_count()} cores")
    print(f"mtls-wizard client issue --from: {wizard:7.1f} ms per client (median)")
    print(f"openssl loop (4 commands each):  {openssl:7.1f} ms per client (median)")
    print(f"ratio {ratio:.2f}x (target <= {TARGET}x)  {'OK' if ratio <= TARGET else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
