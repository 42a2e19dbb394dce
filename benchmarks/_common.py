"""Helpers shared by the benchmark scripts: machine description, peak memory, JSON output.

Every script prints its figures and writes them to ``benchmarks/results/<name>.json`` together
with the machine they were measured on, so the book's benchmark page can show them.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine_info() -> dict:
    """CPU, cores, memory, accelerator and library versions of this machine."""
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": _cpu_name(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        info["tensorflow"] = tf.__version__
        info["device"] = (
            ", ".join(
                tf.config.experimental.get_device_details(g).get("device_name", g.name)
                for g in gpus
            )
            if gpus
            else "CPU"
        )
    except ImportError:
        info["device"] = "CPU"
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_result(name: str, figures: dict, command: str) -> Path:
    """Print ``figures`` and write them, with the machine and the command, to results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "command": command,
        "machine": machine_info(),
        "figures": figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\n{name}:")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print(f"(written to {path})")
    return path
