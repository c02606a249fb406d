"""Build the deployed artifacts: the shared layer and the function directories, with bytecode.

Lambda imports from a read-only file system, so an artifact without ``__pycache__`` is compiled again
on every cold start and the result thrown away (the layer's imports took three times as long without
it). This step installs the layer's requirements for the target platform, copies the code, and
compiles everything with the runtime's interpreter using unchecked-hash pycs: those are used without
looking at the source's timestamp, which the zip upload does not keep anyway.

``sam build`` runs it through ``lambda_build/Makefile`` (BuildMethod makefile) for arm64; the cold start
bench runs the same step for this machine's platform, so what it times is what ships.

    python3 lambda_build/build_artifact.py layer --source layers/shared --target DIR [--platform manylinux2014_x86_64]
    python3 lambda_build/build_artifact.py function --source functions/get_connection --target DIR
    python3 lambda_build/build_artifact.py check .aws-sam/build     # every .py has its unchecked-hash pyc
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# Lambda's python3.13 runtime, arm64 (template.yaml Globals).
RUNTIME_PYTHON_VERSION = "3.13"
DEFAULT_PLATFORM = "manylinux2014_aarch64"
# What the python3.13 runtime already has in /var/runtime: boto3 and what it needs. The layer leaves
# them out (README "Decisions": boto3 comes from the runtime; bench/RESULTS.md has the figures).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# Never shipped: the package's own build droppings.
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def run(command: Sequence[str]) -> None:
    print("+", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True)


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("3.13"): ``python3.13`` on PATH, else pyenv's; None if neither runs."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def interpreter_tag(python: str) -> str:
    """``cpython-313`` for a CPython 3.13 interpreter: the tag of the pycs it writes."""
    completed = subprocess.run(
        [python, "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def python_version_of(python: str) -> str:
    completed = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def install_requirements(
    requirements: Path, target: Path, *, python: str, platform: str, bundle_boto3: bool, pip_args: Sequence[str]
) -> None:
    """The requirements as wheels for ``platform`` and the runtime's Python, into ``target``."""
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # compiled below, for every file, with unchecked-hash pycs
        "--target",
        str(target),
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version_of(python),
        "--only-binary=:all:",
        "--upgrade",
        "-r",
        str(requirements),
        *pip_args,
    ]
    run(command)
    if not bundle_boto3:
        remove_distributions(target, RUNTIME_PROVIDED)
    # Console scripts of the requirements: nothing on Lambda runs them.
    shutil.rmtree(target / "bin", ignore_errors=True)


def remove_distributions(target: Path, names: Sequence[str]) -> None:
    """Delete installed distributions (their files as listed in RECORD, then their dist-info)."""
    wanted = {name.lower().replace("-", "_") for name in names}
    for dist_info in sorted(target.glob("*.dist-info")):
        project = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("-", "_")
        if project not in wanted:
            continue
        record = dist_info / "RECORD"
        tops = set()
        for line in record.read_text().splitlines() if record.exists() else []:
            path = line.split(",", 1)[0]
            if path and not path.startswith(("..", "/")):
                tops.add(path.split("/", 1)[0])
        for top in sorted(tops):
            entry = target / top
            if entry.is_dir():
                shutil.rmtree(entry)
            elif entry.exists():
                entry.unlink()


def compile_tree(root: Path, *, python: str) -> None:
    """Compile every .py under ``root`` with ``python`` into unchecked-hash pycs, and drop pycs of
    other interpreters (a wheel may ship some) so only the runtime's remain."""
    tag = interpreter_tag(python)
    for stale in root.rglob("*.pyc"):
        if f".{tag}." not in stale.name or stale.parent.name != "__pycache__":
            stale.unlink()
    # -j 0: one worker per CPU; -q: only errors. A file that does not compile fails the build.
    run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(root)])


def pyc_flags(pyc: Path) -> int:
    """The flags word of a pyc header (PEP 552): 0 timestamp, 1 unchecked hash, 3 checked hash."""
    return int.from_bytes(pyc.read_bytes()[4:8], "little")


def bytecode_problems(root: Path, *, tag: str, magic: bytes) -> list[str]:
    """Every .py under ``root`` without an unchecked-hash pyc of ``tag`` written with ``magic`` (the
    interpreter's MAGIC_NUMBER), and every pyc of another interpreter; empty when all is compiled."""
    problems = []
    for source in sorted(root.rglob("*.py")):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.exists():
            problems.append(f"no {tag} pyc: {source.relative_to(root)}")
        elif not pyc.read_bytes().startswith(magic):
            problems.append(f"pyc of another Python version: {pyc.relative_to(root)}")
        elif pyc_flags(pyc) != 1:
            problems.append(f"not an unchecked-hash pyc: {pyc.relative_to(root)}")
    problems += [
        f"pyc of another interpreter: {pyc.relative_to(root)}"
        for pyc in sorted(root.rglob("*.pyc"))
        if tag not in pyc.name
    ]
    return problems


def magic_number(python: str) -> bytes:
    completed = subprocess.run(
        [python, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return bytes.fromhex(completed.stdout.strip())


def build_layer(
    source: Path,
    target: Path,
    *,
    python: str,
    platform: str,
    bundle_boto3: bool = False,
    requirements: Path | None = None,
    pip_args: Sequence[str] = (),
) -> Path:
    """The layer as Lambda mounts it at /opt: ``target/python`` with the requirements and the
    ``connections`` package, compiled. Returns that python directory."""
    site = target / "python"
    site.mkdir(parents=True, exist_ok=True)
    install_requirements(
        requirements or source / "requirements.txt",
        site,
        python=python,
        platform=platform,
        bundle_boto3=bundle_boto3,
        pip_args=pip_args,
    )
    shutil.rmtree(site / "connections", ignore_errors=True)
    shutil.copytree(source / "connections", site / "connections", ignore=IGNORED)
    compile_tree(site, python=python)
    return site


def build_function(source: Path, target: Path, *, python: str) -> Path:
    """A function directory as Lambda puts it in /var/task: its files, compiled."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, ignore=IGNORED, dirs_exist_ok=True)
    compile_tree(target, python=python)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("layer", "function", "check"))
    parser.add_argument("built", type=Path, nargs="?", help="check: the directory to check (.aws-sam/build)")
    parser.add_argument("--source", type=Path, help="layers/shared, or a function's directory")
    parser.add_argument("--target", type=Path, help="the artifact directory (SAM's ARTIFACTS_DIR)")
    parser.add_argument(
        "--python", default=f"python{RUNTIME_PYTHON_VERSION}", help="the runtime's interpreter (compiles the pycs)"
    )
    parser.add_argument("--platform", default=DEFAULT_PLATFORM, help="pip --platform of the layer's wheels")
    parser.add_argument(
        "--bundle-boto3", action="store_true", help="keep boto3/botocore in the layer instead of the runtime's"
    )
    parser.add_argument("--requirements", type=Path, help="instead of SOURCE/requirements.txt")
    parser.add_argument("--pip-arg", action="append", default=[], help="passed on to pip install (repeatable)")
    arguments = parser.parse_args(argv)
    if arguments.kind == "check":
        if arguments.built is None:
            parser.error("check needs the directory to check")
        problems = bytecode_problems(
            arguments.built, tag=interpreter_tag(arguments.python), magic=magic_number(arguments.python)
        )
        print("\n".join(problems) or f"every .py under {arguments.built} has its unchecked-hash pyc")
        return 1 if problems else 0
    if arguments.source is None or arguments.target is None:
        parser.error(f"{arguments.kind} needs --source and --target")
    if arguments.kind == "layer":
        build_layer(
            arguments.source,
            arguments.target,
            python=arguments.python,
            platform=arguments.platform,
            bundle_boto3=arguments.bundle_boto3,
            requirements=arguments.requirements,
            pip_args=arguments.pip_arg,
        )
    else:
        build_function(arguments.source, arguments.target, python=arguments.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
