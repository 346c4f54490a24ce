"""The newcomer's walk on the practice route: how many keys, and how long to PASS.

The wizard runs headless at 80x24 and the walk of tests/support/practice_walk.py presses every key
a newcomer needs, from the welcome page (choosing "practice on this machine") through steps 1-3
with their defaults (the .p12 password typed twice) and steps 4-6 on the practice load balancer,
to step 7's PASS against it. Each run is a fresh process with a fresh workspace and data folder.
The time is the machine's (key generation, the handshake test), not a person's reading time.

Targets: at most 60 keystrokes; PASS within 30 s of wall time.

    python bench/bench_practice.py [--runs 3] [--lang en|zh_CN]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS_TARGET = 60
SECONDS_TARGET = 30.0
ROOT = Path(__file__).resolve().parent.parent


async def one_walk(folder: Path, language: str) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "tests"))
    from support.pilot_helpers import start
    from support.practice_walk import CountingPilot, walk_to_pass

    from wizard import assets_loader, i18n
    from wizard.app import WizardApp

    i18n.set_language(language)

    def heading(step: int) -> str:
        name = "welcome.md" if step == 0 else f"steps/step{step}-practice.md" if step in (4, 5, 6) else f"steps/step{step}.md"
        return next(line for line in assets_loader.read_text(name).splitlines() if line.startswith("#")).lstrip("#").strip()

    app = WizardApp(workspace=str(folder / "workspace"))
    async with app.run_test(size=(80, 24)) as raw:
        await start(raw)
        pilot = CountingPilot(raw)
        started = time.perf_counter()
        await walk_to_pass(pilot, heading)
        seconds = time.perf_counter() - started
        await raw.press("ctrl+q")
    ends = [*pilot.marks[1:], ("PASS", pilot.keys, started + seconds)]
    per_page = [(name, end_keys - keys, end_time - at) for (name, keys, at), (_next, end_keys, end_time) in zip(pilot.marks, ends)]
    return {"keys": pilot.keys, "seconds": seconds, "pages": len(pilot.pages), "problems": pilot.problems,
            "per_page": per_page}


def child(language: str) -> None:
    import asyncio

    with tempfile.TemporaryDirectory() as folder:
        os.environ["MTLS_WIZARD_DATA_DIR"] = str(Path(folder) / "data")
        result = asyncio.run(one_walk(Path(folder), language))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.lang)
        return
    results = []
    for _run in range(args.runs):
        done = subprocess.run([sys.executable, __file__, "--child", "--lang", args.lang], capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    keys = results[0]["keys"]
    seconds = [float(r["seconds"]) for r in results]
    print(f"practice route, {args.lang}, 80x24, keyboard only: welcome page to step 7's PASS ({results[0]['pages']} pages)")
    print(f"  keystrokes      {keys:>6}        target <= {KEYS_TARGET}   {'ok' if keys <= KEYS_TARGET else 'OVER'}")
    print(f"  time to PASS    {statistics.median(seconds):>6.1f} s      target <= {SECONDS_TARGET:.0f} s  "
          f"{'ok' if statistics.median(seconds) <= SECONDS_TARGET else 'OVER'}   (runs: {', '.join(f'{s:.1f}' for s in seconds)})")
    print(f"  ratio           {keys / KEYS_TARGET:>6.2f} of the key budget, {statistics.median(seconds) / SECONDS_TARGET:.2f} of the time budget")
    for name, page_keys, page_seconds in results[0]["per_page"]:
        print(f"    {name:<24} {page_keys:>3} keys  {page_seconds:>5.1f} s")
    for problem in results[0]["problems"]:
        print(f"  page problem: {str(problem).splitlines()[0]}")


if __name__ == "__main__":
    main()
