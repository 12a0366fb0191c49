"""The install the Dockerfile performs (`pip install .`) yields a working `scctn`: the
wheel carries every package, and the Dockerfile copies every package the wheel needs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def packages() -> list[str]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [p.rstrip("*") for p in cfg["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_dockerfile_copies_every_package() -> None:
    copied = set(re.findall(r"^COPY (\w+) ", (ROOT / "Dockerfile").read_text(), re.M))
    assert set(packages()) <= copied


def test_wheel_installs_a_working_cli(tmp_path: Path) -> None:
    # build from a copy: setuptools never cleans ./build, so building in the working tree
    # could ship modules that no longer exist in the source
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "*.egg-info",
            "__pycache__",
            "node_modules",
            "localnet-data",
            ".*_cache",
            ".hypothesis",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        cwd=tmp_path,
    )
    wheel = next((tmp_path / "dist").glob("scctn_node-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for pkg in packages():
        assert f"{pkg}/__init__.py" in names, f"{pkg} missing from the wheel"
    assert any(n.endswith("entry_points.txt") for n in names)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import scctn_node, sys; print(scctn_node.__file__); "
            "from scctn_node.cli.main import cli; cli(['--version'])",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert str(target) in out.stdout and "0.1.0" in out.stdout
