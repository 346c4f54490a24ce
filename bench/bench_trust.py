"""What the hardening of issue 30 costs on a large workspace.

(a) The ownership walk every command makes before it reads or writes a workspace
    (Workspace.refuse_untrusted: one lstat per entry of the workspace, its role folders and
    each clients/NAME/) against what `client list` does anyway (read every client
    certificate). Target: the walk at most 0.25x the listing.
(b) Checking the names of a batch (validate_client_names) at 1,000 and 10,000 names: linear,
    so the ratio stays near 10, not 100 (it was quadratic: 100,000 names took over 30 s).

    python bench/bench_trust.py [--clients 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from timing import median_ms, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import P12_PASSWORD, make_pki  # noqa: E402

from wizard import clients  # noqa: E402
from wizard.clients import ClientOptions  # noqa: E402

TARGET = 0.25


def workspace_with_clients(folder: Path, count: int) -> clients.ClientFiles:
    """A workspace with `count` named clients (copies of one real client: the walk reads no content)."""
    ws = make_pki(folder / "ws")
    clients.issue_clients(ws, ["model"], P12_PASSWORD, ClientOptions(key_type="ec-p256"))
    model = ws.root / "clients" / "model"
    for index in range(count - 1):
        name = f"c{index}"
        target = ws.root / "clients" / name
        target.mkdir(mode=0o700)
        for source in model.iterdir():
            shutil.copy2(source, target / source.name.replace("model", name))
    return ws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ws = workspace_with_clients(Path(folder), args.clients)
        walk = median_ms([timed(ws.refuse_untrusted) for _ in range(args.rounds)])
        listing = median_ms([timed(lambda: clients.list_clients(ws)) for _ in range(args.rounds)])
    ratio = walk / (listing - walk)  # list_clients makes the walk too
    print(f"(a) {args.clients} clients: ownership walk {walk:.1f} ms, client list without it {listing - walk:.1f} ms, "
          f"ratio {ratio:.2f} (target <= {TARGET})")
    names = {count: [f"n{i}" for i in range(count)] for count in (1000, 10_000)}
    # best of the rounds: a few milliseconds are at the mercy of whatever else the machine does
    small = min(timed(lambda: clients.validate_client_names(names[1000])) for _ in range(args.rounds * 3)) * 1000
    large = min(timed(lambda: clients.validate_client_names(names[10_000])) for _ in range(args.rounds * 3)) * 1000
    print(f"(b) names checked (best of {args.rounds * 3}): 1,000 in {small:.1f} ms, 10,000 in {large:.1f} ms, "
          f"ratio {large / small:.1f} (linear: about 10; quadratic, as before, about 100)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
