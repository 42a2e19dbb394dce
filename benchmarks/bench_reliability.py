"""The command line under bad input and faults: crashes, lost files, failed resumes.

Builds a corpus of bad inputs in a temporary folder, runs ``colorize`` and ``train`` over it as
a user would (subprocesses of ``python -m colorize_lib``), kills a training run with SIGKILL at
random moments, and counts:

- **cases**: command lines tried;
- **crashes**: runs that printed a Python traceback, or ended with an exit code the case did not
  expect (every bad input must end in a clear ``error:`` line or a reported skip);
- **files lost or overwritten**: input files whose bytes changed, outputs reported as written
  that are missing or unreadable, and half-written files left under a final name;
- **failed resumes**: killed training runs that the same command could not finish, or that
  did not continue from their last checkpoint.

Goal: 0 crashes, 0 files lost, 0 failed resumes. Run: ``python benchmarks/bench_reliability.py
[--kills 8]`` (about 5 minutes on 2 cores); figures go to ``results/bench_reliability.json``.

``--audit`` runs instead the cases of an audit made as a careless or hostile user would (issue
22 of the project), each one command, and prints a verdict table: the case, the command, the
exit code, the first line it printed, and whether that is the behaviour wanted (about a minute).
``--code DIR`` runs the command line of another checkout (to compare with an older version).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from _common import write_result  # noqa: E402

TRAIN = ["--size", "32", "--batch-size", "8", "--encoder", "MobileNetV2-0.35", "--weights", "none"]


def run(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "colorize_lib", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_corpus(folder: Path) -> None:
    """Good pictures and the bad files a user's folder holds."""
    from colorize_lib import synth

    for i, img in enumerate(synth.generate(24, 48, seed=7, progress=False)):
        sub = folder / ("2019" if i % 3 else ".")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(sub / f"good{i:02d}.{'jpg' if i % 2 else 'png'}")
    good = np.asarray(Image.open(folder / "good00.png"))
    bad = {
        "empty.jpg": b"",
        "text.png": b"this is not a picture",
        "truncated.png": (folder / "good00.png").read_bytes()[:300],
        "truncated.jpg": (folder / "2019" / "good01.jpg").read_bytes()[:400],
        "html.jpeg": b"<html><body>404 Not Found</body></html>",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    Image.fromarray(good).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(good).convert("P").save(folder / "palette.png")
    Image.fromarray(good).convert("RGBA").save(folder / "alpha.png")
    Image.fromarray(good[..., 0].astype(np.uint16) * 257).save(folder / "gray16.png")
    Image.fromarray(good[:2, :2]).save(folder / "tiny.png")  # too small to learn from
    (folder / "photo.png").write_bytes((folder / "2019" / "good01.jpg").read_bytes())  # a JPEG
    Image.fromarray(good).save(folder / "photo.jpg")  # same stem as photo.png: a name collision
    (folder / "folder.jpg").mkdir()  # a folder with a picture's name


class Tally:
    def __init__(self):
        self.cases, self.crashes, self.lost, self.failed_resumes = 0, [], [], []

    def check(self, name: str, r: subprocess.CompletedProcess, codes: tuple[int, ...]) -> None:
        self.cases += 1
        if "Traceback" in r.stdout + r.stderr or r.returncode not in codes:
            self.crashes.append(f"{name}: exit {r.returncode}; {(r.stdout + r.stderr)[-400:]}")
        print(f"{name:45s} exit {r.returncode}  {r.stdout.strip().splitlines()[-1:]}", flush=True)


def outputs_sound(out: Path, tally: Tally, case: str) -> None:
    """Every PNG in ``out`` opens, and no temporary file is left."""
    for p in out.rglob("*"):
        if p.is_file():
            try:
                Image.open(p).load()
            except OSError:
                tally.lost.append(f"{case}: {p} is not a whole PNG")
            if p.name.startswith("."):
                tally.lost.append(f"{case}: temporary file left: {p}")


def colorize_cases(work: Path, tally: Tally) -> None:
    photos, before = work / "photos", digest(work / "photos")
    model = work / "unet.keras"
    r = run("colorize", "photos", "--model", str(model), "--out", "out", cwd=work)
    tally.check("colorize a folder with bad files", r, (1,))
    written = (
        int(r.stdout.split("colorized ")[1].split(" of")[0]) if "colorized " in r.stdout else -1
    )
    on_disk = len(list((work / "out").rglob("*.png")))
    if written != on_disk:
        tally.lost.append(f"colorize: reported {written} written, {on_disk} on disk")
    outputs_sound(work / "out", tally, "colorize")
    for args, codes, case in [
        (["photos", "--out", "photos"], (2,), "colorize into the input folder"),
        (["photos", "--out", "photos/colorized"], (2,), "colorize into a folder inside the input"),
        (["photos", "--out", "out"], (2,), "colorize again without --overwrite"),
        (["photos", "photos/2019", "--out", "out2"], (1,), "colorize overlapping inputs"),
        (["photos/good00.png", "--out", "photos"], (2,), "colorize a file onto itself"),
        (["nothing_here", "--out", "out3"], (2,), "colorize a missing input"),
        (["photos", "--out", "out4", "--size", "50"], (2,), "colorize with a bad --size"),
    ]:
        tally.check(case, run("colorize", *args, "--model", str(model), cwd=work), codes)
    cut = work / "cut.keras"
    cut.write_bytes(model.read_bytes()[:1000])
    tally.check(
        "colorize with a truncated model",
        run("colorize", "photos", "--model", str(cut), "--out", "out5", cwd=work),
        (2,),
    )
    if digest(photos) != before:
        tally.lost.append("colorize changed files in the input folder")


def train_cases(work: Path, tally: Tally) -> None:
    before = digest(work / "photos")
    for args, codes, case in [
        (["--data", "photos", "--size", "50"], (2,), "train with --size 50"),
        (["--data", "photos", "--size", "100000"], (2,), "train with --size 100000"),
        (["--data", "no_such_folder"], (2,), "train on a missing folder"),
        (
            ["--data", "photos", "--learning-rate", "1e6", "--epochs", "2"],
            (1,),
            "train with --learning-rate 1e6",
        ),
        (["--data", "photos.zip"], (0,), "train on a local zip archive"),
    ]:
        base = TRAIN if "--size" not in args else TRAIN[2:]
        tally.check(
            case,
            run(
                "train",
                *base,
                "--epochs",
                "1",
                *args,
                "--out",
                f"{case.split()[-1].strip('-')}.keras",
                cwd=work,
            ),
            codes,
        )
    if digest(work / "photos") != before:
        tally.lost.append("train changed files in the input folder")


def kill_cases(work: Path, tally: Tally, kills: int, epochs: int = 6) -> list[float]:
    """Kill ``train`` at random moments, then run the same command to the end each time."""
    rng = random.Random(0)
    moments = []
    args = ["train", *TRAIN, "--data", "photos", "--epochs", str(epochs), "--out", "k.keras"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    for k in range(kills):
        wait = rng.uniform(3, 25)
        p = subprocess.Popen(
            [sys.executable, "-m", "colorize_lib", *args],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(wait)
        p.send_signal(signal.SIGKILL)
        p.wait()
        moments.append(round(wait, 1))
        state = work / "k.run" / "state.json"
        done = json.loads(state.read_text())["epoch"] if state.exists() else 0
        for f in (work / "k.run").glob("epoch-*.keras") if (work / "k.run").exists() else []:
            if not zipfile.is_zipfile(f):  # a final name on a half-written file
                tally.lost.append(f"kill {k + 1}: half-written checkpoint {f.name}")
        r = run(*args, cwd=work)
        left = [f.name for f in (work / "k.run").glob(".*")]  # temporaries of killed saves
        if left:
            tally.lost.append(f"kill {k + 1}: temporary files left after the resume: {left}")
        tally.check(f"resume after kill {k + 1} at {wait:.1f} s (epoch {done} saved)", r, (0,))
        resumed = done == 0 or done >= epochs or f"(epoch {done} of {epochs})" in r.stdout
        if r.returncode != 0 or not resumed or not zipfile.is_zipfile(work / "k.keras"):
            tally.failed_resumes.append(f"kill {k + 1} at {wait:.1f} s: {r.stdout[-300:]}")
        (work / "k.keras").unlink(missing_ok=True)
        for f in (work / "k.run").glob("*"):
            f.unlink()  # the next kill starts from scratch
    return moments


def _first_line(r: subprocess.CompletedProcess) -> str:
    """Its ``error:`` line if it printed one, else a traceback's last line, else its first."""
    errors = [x for x in r.stdout.splitlines() if x.startswith("error:")]
    if errors:
        return errors[0]
    for text in (r.stdout, r.stderr):
        lines = [x for x in text.splitlines() if x.strip() and not x.startswith(("I0000", "W0000"))]
        if lines:
            return ("Traceback ... " + lines[-1]) if "Traceback" in text else lines[0]
    return ""


def audit_cases(work: Path, code: Path) -> list[dict]:
    """The audit's cases, one command each; ``ok`` says whether the behaviour is the one wanted."""
    env = dict(os.environ, PYTHONPATH=str(code), TF_CPP_MIN_LOG_LEVEL="3")

    def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "colorize_lib", *args], cwd=work, env=env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def picture(path: Path, value: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((40, 48, 3), value, np.uint8)).save(path)

    make_corpus(work / "photos")
    rows = []

    def case(name: str, args: list[str], ok) -> None:
        r = cli(*args)
        rows.append(
            {"case": name, "command": " ".join(["colorize_lib", *args]), "exit": r.returncode,
             "first line": _first_line(r)[:110], "ok": bool(ok(r))}
        )  # fmt: skip

    import keras  # a tiny colorizer for the colorize cases (32x32)

    L = keras.Input((32, 32, 1))
    keras.Model(L, keras.layers.Conv2D(2, 3, padding="same", activation="tanh")(L)).save(
        work / "m32.keras"
    )
    # 1. an output's place holds another photo
    picture(work / "e" / "photo.jpg", 80)
    picture(work / "e" / "photo.png", 200)
    before = (work / "e" / "photo.png").read_bytes()
    case("--overwrite over a photo it did not write",
         ["colorize", "e/photo.jpg", "--model", "m32.keras", "--out", "e", "--overwrite"],
         lambda r: r.returncode == 2 and (work / "e" / "photo.png").read_bytes() == before)  # fmt: skip
    # 2. values that make no sense
    for args in (["--learning-rate", "-0.001"], ["--learning-rate", "0"]):
        case(f"train {' '.join(args)}", ["train", *TRAIN, "--data", "photos", "--epochs", "3",
             "--out", "neg.keras", *args], lambda r: r.returncode == 2)  # fmt: skip
    case("train-gan --lr -2e-4", ["train-gan", "--init", "m32.keras", "--data", "photos",
         "--out", "g.keras", "--lr=-2e-4"], lambda r: r.returncode == 2)  # fmt: skip
    # 3. a symbolic link that loops, in a folder to colorize
    picture(work / "loop" / "a.png", 120)
    os.symlink("self.png", work / "loop" / "self.png")
    case("a symlink loop in a folder", ["colorize", "loop", "--model", "m32.keras", "--out",
         "o3"], lambda r: "Traceback" not in r.stderr and (work / "o3" / "a.png").exists())  # fmt: skip
    # 4. a file name that is not UTF-8 in a training folder
    odd = work / "odd"
    for i in range(12):
        picture(odd / f"p{i}.png", 15 * i)
    Image.fromarray(np.full((40, 48, 3), 9, np.uint8)).save(
        os.fsdecode(os.fsencode(odd) + b"/caf\xe9.png")
    )
    case("a file name that is not UTF-8", ["train", *TRAIN, "--data", "odd", "--epochs", "1",
         "--out", "odd.keras"], lambda r: r.returncode == 0)  # fmt: skip
    # 5. a truncated decoding-cache entry, then the same training again
    from colorize_lib import profiles

    cache = profiles.cache_dir() / "arrays"  # COLORIZE_CACHE, set by ``audit``
    for meta in cache.glob("*.json"):
        meta.write_text(meta.read_text()[:30])
    case("a truncated decoding-cache entry", ["train", *TRAIN, "--data", "odd", "--epochs", "1",
         "--out", "odd2.keras"], lambda r: r.returncode == 0)  # fmt: skip
    # 7. a zip of small members that expand far
    with zipfile.ZipFile(work / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for k in range(40):
            z.writestr(f"p{k:02d}.png", b"\0" * (15 * 2**20))
    case("a zip bomb of many small members", ["train", *TRAIN, "--data", "bomb.zip", "--out",
         "b.keras"], lambda r: r.returncode == 2 and "Refused" in r.stdout)  # fmt: skip
    # 9. a name that leaves --out
    case("export --name ../../x", ["export", "--model", "m32.keras", "--out", "web", "--name",
         "../../x"], lambda r: r.returncode == 2 and not (work.parent / "x.onnx").exists())  # fmt: skip
    # errors that were tracebacks
    run_dir = work / "st.run"
    run_dir.mkdir()
    (run_dir / "state.json").write_text('{"epoch": 1, "chec')
    case("a truncated state.json", ["train", *TRAIN, "--data", "photos", "--epochs", "1",
         "--out", "st.keras"], lambda r: r.returncode != 0 and "--no-resume" in r.stdout)  # fmt: skip
    picture(work / "one.png", 100)
    case("colorize --size 64, model built for 32", ["colorize", "one.png", "--model",
         "m32.keras", "--size", "64", "--out", "o64"],
         lambda r: r.returncode == 2 and "Traceback" not in r.stderr)  # fmt: skip
    case("generate --start -5", ["generate", "--out", "gen", "--start", "-5"],
         lambda r: r.returncode == 2 and "Traceback" not in r.stderr)  # fmt: skip
    return rows


def audit(code: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COLORIZE_CACHE"] = str(Path(tmp) / "cache")
        work = Path(tmp) / "work"
        work.mkdir()
        rows = audit_cases(work, code)
    width = max(len(r["case"]) for r in rows)
    for r in rows:
        verdict = "ok " if r["ok"] else "BAD"
        print(f"{verdict} {r['case']:{width}s}  exit {r['exit']:3d}  {r['first line']}")
    print(f"{sum(r['ok'] for r in rows)} of {len(rows)} cases behave as wanted")
    write_result(
        "bench_reliability_audit",
        {"cases": len(rows), "as_wanted": sum(r["ok"] for r in rows), "rows": rows},
        "python benchmarks/bench_reliability.py " + " ".join(sys.argv[1:]),
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=6, help="training runs killed with SIGKILL")
    p.add_argument("--audit", action="store_true", help="run the audit's cases instead")
    p.add_argument("--code", type=Path, default=ROOT, help="the checkout whose CLI runs (--audit)")
    args = p.parse_args()
    if args.audit:
        return audit(args.code.resolve())
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_corpus(work / "photos")
        n_files = sum(1 for f in (work / "photos").rglob("*") if f.is_file())
        with zipfile.ZipFile(work / "photos.zip", "w") as z:
            for f in (work / "photos").rglob("*.png"):
                z.write(f, f.relative_to(work / "photos"))
        r = run(
            "train", *TRAIN, "--data", "photos", "--epochs", "1", "--out", "unet.keras", cwd=work
        )
        tally.check("train on the corpus (bad files skipped)", r, (0,))
        colorize_cases(work, tally)
        train_cases(work, tally)
        moments = kill_cases(work, tally, args.kills)
    figures = {
        "corpus_files": n_files,
        "cases": tally.cases,
        "crashes": len(tally.crashes),
        "files_lost_or_overwritten": len(tally.lost),
        "failed_resumes": len(tally.failed_resumes),
        "kill_moments_s": moments,
        "problems": tally.crashes + tally.lost + tally.failed_resumes,
    }
    write_result(
        "bench_reliability",
        figures,
        "python benchmarks/bench_reliability.py " + " ".join(sys.argv[1:]),
    )


if __name__ == "__main__":
    main()
