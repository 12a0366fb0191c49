"""The state sync benchmark runs end to end on a small state and reports every figure
(no timing assertions: the figures are for humans)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scctn_node.statesync import bench


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    figures = bench.run(3_000, chunk_bytes=4096, batch_items=500, directory=tmp_path)
    assert figures["keys"] == 3_000
    assert figures["chunks"] > 10
    for name in (
        "build_s",
        "source_open_s",
        "install_s",
        "install_rss_mb",
        "manifest_bytes",
        "chunks",
    ):
        assert math.isfinite(figures[name]) and figures[name] > 0, name
    assert list(tmp_path.iterdir()) == []  # the temporary databases are removed


def test_main_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--keys", "500", "--chunk-bytes", "2048", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "500 keys" in out and "install" in out and "peak RSS" in out
