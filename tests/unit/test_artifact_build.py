"""The build step sam build runs (lambda_build/): every .py of the layer and the functions ships with an
unchecked-hash pyc of the runtime's interpreter, and boto3's distributions are left to the runtime.

The step runs here exactly as sam build runs it, into a temporary directory, with Python 3.13 when this
machine has it (else this interpreter, whose tag is then the one checked). The real requirements need
PyPI, so the layer is built from the real ``connections`` package plus two small wheels made here and
installed by pip offline: one ordinary requirement, one named like a distribution the runtime
provides. ``make lint`` checks the real ``sam build`` output with the same ``check``.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lambda_build import build_artifact

ROOT = Path(__file__).resolve().parents[2]


def runtime_python() -> str:
    """Python 3.13 (Lambda's runtime) if this machine has it, else the interpreter running the tests."""
    return build_artifact.find_python(build_artifact.RUNTIME_PYTHON_VERSION) or sys.executable


def make_wheel(directory: Path, name: str, files: dict[str, bytes]) -> None:
    """A pure-Python wheel of ``name`` 1.0 holding ``files`` (path -> content)."""
    dist_info = f"{name}-1.0.dist-info"
    metadata = {
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    everything = files | metadata
    record = "".join(f"{path},,\n" for path in everything) + f"{dist_info}/RECORD,,\n"
    with zipfile.ZipFile(directory / f"{name}-1.0-py3-none-any.whl", "w") as wheel:
        for path, content in everything.items():
            wheel.writestr(path, content)
        wheel.writestr(f"{dist_info}/RECORD", record)


@pytest.fixture(scope="module")
def python() -> str:
    return runtime_python()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheels")
    make_wheel(
        directory,
        "smallreq",
        {
            "smallreq/__init__.py": b"VALUE = 1\n",
            "smallreq/sub/__init__.py": b"",
            "smallreq/sub/leaf.py": b"def leaf():\n    return 2\n",
            # Some wheels ship pycs of the interpreter they were built with; only the runtime's may stay.
            "smallreq/__pycache__/__init__.cpython-39.pyc": b"\x00" * 16,
        },
    )
    make_wheel(directory, "jmespath", {"jmespath/__init__.py": b"", "jmespath/parser.py": b"X = 1\n"})
    (directory / "requirements.txt").write_text("smallreq\njmespath\n")
    return directory


def build_layer(python: str, wheels: Path, target: Path, *, bundle_boto3: bool = False) -> Path:
    """The layer step through its command line, as lambda_build/Makefile calls it (offline pip)."""
    command = [
        sys.executable,
        str(ROOT / "lambda_build" / "build_artifact.py"),
        "layer",
        "--source",
        str(ROOT / "layers" / "shared"),
        "--target",
        str(target),
        "--python",
        python,
        "--platform",
        "manylinux2014_x86_64",
        "--requirements",
        str(wheels / "requirements.txt"),
        "--pip-arg=--no-index",
        f"--pip-arg=--find-links={wheels}",
    ]
    if bundle_boto3:
        command.append("--bundle-boto3")
    subprocess.run(command, check=True, capture_output=True, text=True)
    return target / "python"


@pytest.fixture(scope="module")
def layer(python: str, wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_layer(python, wheels, tmp_path_factory.mktemp("layer"))


def test_every_layer_file_has_an_unchecked_hash_pyc_of_the_runtime(python: str, layer: Path) -> None:
    tag = build_artifact.interpreter_tag(python)
    sources = sorted(layer.rglob("*.py"))
    # The whole package and the requirement are there, not only what something imported.
    assert layer / "connections" / "wiring.py" in sources
    assert layer / "smallreq" / "sub" / "leaf.py" in sources
    assert len(sources) > 100
    assert build_artifact.bytecode_problems(layer, tag=tag, magic=build_artifact.magic_number(python)) == []
    assert build_artifact.pyc_flags(layer / "connections" / "__pycache__" / f"wiring.{tag}.pyc") == 1
    assert not (layer / "smallreq" / "__pycache__" / "__init__.cpython-39.pyc").exists()


def test_the_layer_leaves_boto3_to_the_runtime_unless_asked(
    python: str, wheels: Path, layer: Path, tmp_path: Path
) -> None:
    assert not (layer / "jmespath").exists()
    assert not list(layer.glob("jmespath-*.dist-info"))
    bundled = build_layer(python, wheels, tmp_path, bundle_boto3=True)
    assert (bundled / "jmespath" / "parser.py").exists()


def test_a_function_directory_is_compiled(python: str, tmp_path: Path) -> None:
    built = build_artifact.build_function(ROOT / "functions" / "get_connection", tmp_path, python=python)
    tag = build_artifact.interpreter_tag(python)
    assert (built / "__pycache__" / f"app.{tag}.pyc").exists()
    assert build_artifact.bytecode_problems(built, tag=tag, magic=build_artifact.magic_number(python)) == []


def test_the_check_finds_a_missing_a_stale_and_a_timestamp_pyc(python: str, tmp_path: Path) -> None:
    tag = build_artifact.interpreter_tag(python)
    magic = build_artifact.magic_number(python)
    (tmp_path / "plain.py").write_text("A = 1\n")
    (tmp_path / "timestamped.py").write_text("B = 2\n")
    subprocess.run([python, "-m", "compileall", "-q", str(tmp_path / "timestamped.py")], check=True)
    (tmp_path / "__pycache__" / "old.cpython-39.pyc").write_bytes(b"\x00" * 16)
    problems = build_artifact.bytecode_problems(tmp_path, tag=tag, magic=magic)
    assert problems == [
        f"no {tag} pyc: plain.py",
        f"not an unchecked-hash pyc: __pycache__/timestamped.{tag}.pyc",
        "pyc of another interpreter: __pycache__/old.cpython-39.pyc",
    ]
