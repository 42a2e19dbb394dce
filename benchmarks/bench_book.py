"""How long the book takes to build, chapter by chapter, from an empty model cache.

Runs ``jupyter-book build`` of this checkout (every chapter executed, the chosen profile,
``COLORIZE_CACHE`` an empty temporary folder, so chapters 3 to 5 train their networks) and
records each page's execution time from the build's own log, and whether the chapter trained
(an ``epoch 1/`` line in its output). Writes

- ``benchmarks/results/book.json``: the figures with the machine and the command;
- ``colorize_lib/pages/book_times.json``: the times the chapters show under their opening
  (``pages.opening.time_line``), for this profile; the other profile's entry is kept.

    python benchmarks/bench_book.py                  # cpu profile (about 10 minutes on 2 cores)
    python benchmarks/bench_book.py --profile gpu    # on a machine with a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_info, write_result

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT / "colorize_lib" / "pages" / "book_times.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=["tiny", "cpu", "gpu"])
    parser.add_argument(
        "--keep", type=Path, help="copy the executed notebooks and the trained models here"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        env = dict(
            os.environ,
            COLORIZE_PROFILE=args.profile,
            COLORIZE_CACHE=str(Path(tmp) / "cache"),
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONPATH=str(ROOT),
        )
        env.pop("COLORIZE_DATA", None)
        command = [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build", str(ROOT), "--all", "--path-output", str(Path(tmp) / "out"),
        ]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        total = time.perf_counter() - start
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            print(log[-4000:])
            print(f"error: the book build failed ({proc.returncode})")
            return 1
        executed = Path(tmp) / "out" / "_build" / "jupyter_execute"
        if args.keep:  # to read a chapter's figures afterwards
            import shutil

            shutil.copytree(executed, args.keep, dirs_exist_ok=True)
            shutil.copytree(Path(tmp) / "cache", args.keep / "cache", dirs_exist_ok=True)
        chapters = {}
        for path, seconds in re.findall(
            r"(\S+)\.ipynb: Executed notebook in ([\d.]+) seconds", log
        ):
            name = Path(path).name
            copy = next(executed.rglob(f"{name}.ipynb"), None)
            text = copy.read_text(encoding="utf-8") if copy else ""
            chapters[name] = {"seconds": round(float(seconds), 1), "trains": "epoch 1/" in text}
    figures = {"total_seconds": round(total, 1), "chapters": chapters}
    write_result(f"book_{args.profile}", figures, " ".join(["python", *sys.argv]))
    times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    machine = machine_info()
    times[args.profile] = {
        **figures,
        "measured": time.strftime("%Y-%m-%d"),
        "machine": f"{machine['cores']} cores, {machine['processor']}",
    }
    from colorize_lib.data import files

    files.write_json(TIMES, times)  # all or nothing: every chapter reads it
    return 0


if __name__ == "__main__":
    sys.exit(main())
