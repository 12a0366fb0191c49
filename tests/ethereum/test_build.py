"""The committed contract artifacts are exactly what the pinned compiler builds."""

from __future__ import annotations

import json
import re

from scctn_node.bridge import build


def test_fresh_build_equals_committed_artifacts() -> None:
    fresh = build.compile_all()
    assert sorted(fresh) == sorted(build.CONTRACTS)
    for name, artifact in fresh.items():
        committed = (build.ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert build.render(artifact) == committed, f"{name}.json is stale: run `make contracts`"
    committed_names = {p.stem for p in build.ARTIFACTS_DIR.glob("*.json")}
    assert committed_names == set(build.CONTRACTS)


def test_toolchain_is_pinned_exactly() -> None:
    package = json.loads((build.REPO_ROOT / "package.json").read_text(encoding="utf-8"))
    versions = package["devDependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions.values()), versions
    lock = json.loads((build.REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in versions.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert build.solc_version().startswith(versions["solc"] + "+")
