"""The benchmark runs end to end on a small state and reports every figure (no timing
assertions: the figures are for humans)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scctn_node.storage import bench


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    figures = bench.run(3_000, 100, 3, warmup=1, directory=tmp_path)
    assert figures["total_keys"] == 3_000
    assert figures["update_keys"] == 100
    assert figures["rounds"] == 3
    for name in ("apply_first_ms", "apply_p50_ms", "apply_p99_ms", "keys_per_s", "build_s"):
        assert math.isfinite(figures[name]) and figures[name] > 0, name
    assert figures["apply_p50_ms"] <= figures["apply_p99_ms"]
    assert list(tmp_path.iterdir()) == []  # the temporary database is removed


def test_main_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--keys", "500", "--update-keys", "20", "--rounds", "2", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "500 keys, 20 keys per apply, 2 rounds" in out
    assert "apply p99" in out and "keys/s" in out
