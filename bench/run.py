"""Run every benchmark section and write bench/RESULTS.md (``make bench``).

A section is a ``bench/bench_*.py`` module whose ``run()`` returns markdown. Each runs in a fresh
interpreter of its own, so one section's environment, caches and AWS mocks cannot shape another's
figures. Sections print as they finish; RESULTS.md is written when all have run. Naming sections
(``bench/run.py bench_cold_start``) runs only those and leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
LAYER_PATH = PROJECT_ROOT / "layers" / "shared"
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
COMMAND = "`make bench` (`.venv/bin/python bench/run.py`)"


def section_names() -> list[str]:
    """Every ``bench_*`` module in bench/, in name order."""
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def run_section_here(name: str, output: Path) -> None:
    """Import ``bench.<name>``, run it and write its markdown to ``output`` (the child's side)."""
    for path in (PROJECT_ROOT, LAYER_PATH):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    section = importlib.import_module(f"bench.{name}").run()
    output.write_text(section.strip() + "\n")


def run_section(name: str) -> tuple[str, bool]:
    """Run one section in a fresh interpreter; its markdown and whether it succeeded.

    The child's stdout (function logs and metrics) is kept back and shown only if the section fails;
    its stderr (progress) passes through.
    """
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT), str(LAYER_PATH), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with tempfile.TemporaryDirectory(prefix="bench-section-") as temporary:
        output = Path(temporary) / "section.md"
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, str(Path(__file__)), "--section-child", name, "--output", str(output)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if completed.returncode == 0 and output.exists():
            text = output.read_text().rstrip()
            return f"{text}\n\n_Section `{name}` took {seconds:.0f} s._\n", True
    sys.stdout.write(completed.stdout[-4000:])
    return f"## {name}\n\nFailed (exit status {completed.returncode}); no figures.\n", False


def installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def source_tree() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + (" with uncommitted changes" if changes else "")


def header() -> str:
    versions = ", ".join(
        f"{package} {installed_version(package)}"
        for package in ("boto3", "aws-lambda-powertools", "aws-encryption-sdk", "pydantic", "moto")
    )
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
            f"{platform.system()} {platform.release()}; 1-minute load average {os.getloadavg()[0]:.1f} at start",
            f"- Python: {platform.python_implementation()} {platform.python_version()}; {versions}",
            f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; source: {source_tree()}",
            f"- Command: {COMMAND}",
            "",
            "Figures are from this machine and run; compare rows within a run, not across machines.",
            "Each section below says what it measured and how.",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help="section modules to run (default: all, and write RESULTS.md)")
    parser.add_argument("--section-child", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.section_child:
        run_section_here(arguments.section_child, arguments.output)
        return 0

    available = section_names()
    chosen = [name.removesuffix(".py") for name in arguments.sections] or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        parser.error(f"no such section: {', '.join(unknown)} (have: {', '.join(available)})")

    document = [header()]
    all_succeeded = True
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        section, succeeded = run_section(name)
        all_succeeded &= succeeded
        print(section, flush=True)
        document.append(section)
    if not arguments.sections:
        RESULTS_PATH.write_text("\n".join(document))
        print(f"Wrote {RESULTS_PATH.relative_to(PROJECT_ROOT)}", file=sys.stderr)
    return 0 if all_succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
