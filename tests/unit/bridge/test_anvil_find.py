"""Where `find_anvil` looks for the anvil binary, and in which order: an explicit path,
$SCCTN_ANVIL, node_modules under the current directory, node_modules under the source
tree, PATH. Fake executables in tmp_path; no anvil is started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scctn_node.bridge import anvil
from scctn_node.bridge.anvil import NPM_ANVIL, AnvilMissing, find_anvil


def _exe(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every place find_anvil looks, empty: cwd, source tree and PATH under tmp_path."""
    cwd, source, bin_dir = tmp_path / "cwd", tmp_path / "source", tmp_path / "bin"
    for d in (cwd, source, bin_dir):
        d.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(anvil, "SOURCE_ROOT", source)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("SCCTN_ANVIL", raising=False)
    return {
        "env": tmp_path / "env" / "anvil",
        "cwd": cwd / NPM_ANVIL,
        "source": source / NPM_ANVIL,
        "path": bin_dir / "anvil",
    }


def _fill(places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, names: list[str]) -> None:
    for name in names:
        _exe(places[name])
    if "env" in names:
        monkeypatch.setenv("SCCTN_ANVIL", str(places["env"]))


@pytest.mark.parametrize(
    ("present", "found"),
    [
        (["env", "cwd", "source", "path"], "env"),
        (["cwd", "source", "path"], "cwd"),
        (["source", "path"], "source"),
        (["path"], "path"),
    ],
)
def test_the_first_place_holding_anvil_wins(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, present: list[str], found: str
) -> None:
    _fill(places, monkeypatch, present)
    assert find_anvil().resolve() == places[found].resolve()


def test_an_explicit_path_comes_before_everything(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fill(places, monkeypatch, ["env", "cwd", "source", "path"])
    mine = _exe(tmp_path / "mine" / "anvil")
    assert find_anvil(mine) == mine


def test_a_file_that_is_not_executable_is_passed_over(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _exe(places["cwd"], mode=0o644)
    _fill(places, monkeypatch, ["path"])
    assert find_anvil().resolve() == places["path"].resolve()


def test_a_set_but_wrong_scctn_anvil_is_an_error_not_a_fallback(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(places, monkeypatch, ["cwd", "path"])
    monkeypatch.setenv("SCCTN_ANVIL", str(places["env"]))  # no such file
    with pytest.raises(AnvilMissing) as err:
        find_anvil()
    assert err.value.code == "anvil_missing"
    assert str(places["env"]) in err.value.message


def test_an_explicit_path_that_is_no_executable_is_an_error(
    places: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fill(places, monkeypatch, ["path"])
    with pytest.raises(AnvilMissing):
        find_anvil(tmp_path / "missing")
    with pytest.raises(AnvilMissing):
        find_anvil(tmp_path)  # a directory


def test_nowhere_says_how_to_get_one(places: dict[str, Path]) -> None:
    with pytest.raises(AnvilMissing) as err:
        find_anvil()
    message = err.value.message
    assert err.value.code == "anvil_missing"
    assert "npm ci" in message and "SCCTN_ANVIL" in message and "PATH" in message
    assert os.fspath(places["cwd"]) in message and os.fspath(places["source"]) in message
