"""`make bench`: run every benchmark and write bench/RESULTS.md with the machine they ran on."""

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS = [
    "pipeline.py",
    "extraction.py",
    "checkworthiness.py",
    "retrieval_quality.py",
    "stance_cost.py",
    "embeddings.py",
    "retrieval_scale.py",
    "api_load.py",
    "recheck.py",
    "faults.py",
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    sections = []
    for name in SCRIPTS:
        script = BENCH_DIR / name
        if not script.exists():
            continue
        print(f"running {name} …", flush=True)
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        if result.returncode != 0:
            sections.append(f"## {name}\n\nFAILED:\n\n```\n{result.stderr[-3000:]}\n```\n")
        else:
            sections.append(result.stdout.strip() + "\n")
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` on {datetime.date.today().isoformat()} on {machine()}.\n"
        "Each section compares our step with a simple baseline measured in the same run.\n"
    )
    (BENCH_DIR / "RESULTS.md").write_text(header + "\n" + "\n".join(sections))
    print((BENCH_DIR / "RESULTS.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
