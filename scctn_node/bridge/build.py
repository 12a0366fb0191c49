"""Compiles the Ethereum contracts with the pinned solcjs from node_modules.

`python -m scctn_node.bridge.build` (or `make contracts`) writes one JSON artifact per
contract to scctn_node/bridge/artifacts/: {contractName, source, abi, bytecode,
deployedBytecode, solcVersion, settings}. The artifacts are committed; the node and the
tests load them and never need node or solc at run time.

Determinism: the standard-JSON input holds every source inline (our contracts and the
OpenZeppelin files they import, resolved here rather than by a solc callback), the
settings are fixed, the metadata hash is left out of the bytecode, and the JSON is
written with sorted keys. The same sources and compiler therefore give identical bytes,
which tests/ethereum/test_build.py checks against the committed artifacts.
"""

from __future__ import annotations

import json
import posixpath
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
SOLCJS = NODE_MODULES / "solc" / "solc.js"
CONTRACTS_DIR = "contracts/ethereum"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

# Contract name -> source unit it is defined in.
CONTRACTS: dict[str, str] = {
    "SCCTNVault": f"{CONTRACTS_DIR}/SCCTNVault.sol",
    "TestToken": f"{CONTRACTS_DIR}/test/TestToken.sol",
    "ScctnLikeToken": f"{CONTRACTS_DIR}/test/ScctnLikeToken.sol",
    "FeeOnTransferToken": f"{CONTRACTS_DIR}/test/FeeOnTransferToken.sol",
    "ReentrantToken": f"{CONTRACTS_DIR}/test/ReentrantToken.sol",
}

SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none", "appendCBOR": False},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}

_IMPORT = re.compile(r'^\s*import\s+(?:[^;]*?\s+from\s+)?"([^"]+)"\s*;', re.MULTILINE)


class BuildError(Exception):
    """The compiler is missing or reported an error."""


def _read_unit(unit: str) -> str:
    base = NODE_MODULES if unit.startswith("@") else REPO_ROOT
    path = base / unit
    if not path.is_file():
        raise BuildError(f"source {unit} not found at {path} (run `npm ci`)")
    return path.read_text(encoding="utf-8")


def collect_sources(roots: list[str]) -> dict[str, str]:
    """Every source unit reachable from `roots` by imports, keyed by solc's unit name."""
    sources: dict[str, str] = {}
    todo = list(roots)
    while todo:
        unit = todo.pop()
        if unit in sources:
            continue
        text = _read_unit(unit)
        sources[unit] = text
        for imp in _IMPORT.findall(text):
            if imp.startswith("."):
                imp = posixpath.normpath(posixpath.join(posixpath.dirname(unit), imp))
            todo.append(imp)
    return dict(sorted(sources.items()))


def standard_input() -> dict[str, Any]:
    sources = collect_sources(sorted(set(CONTRACTS.values())))
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": SETTINGS,
    }


def solc_version() -> str:
    if not SOLCJS.is_file():
        raise BuildError(f"solcjs not found at {SOLCJS} (run `npm ci`)")
    out = subprocess.run(
        ["node", str(SOLCJS), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def compile_all() -> dict[str, dict[str, Any]]:
    """Compiles the contracts; returns contract name -> artifact."""
    version = solc_version()
    # solcjs reads stdin with a blocking readFileSync (EAGAIN on a non-blocking pipe) and
    # exits before a large write to a stdout pipe drains: use regular files for both.
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as inp,
        tempfile.TemporaryFile("w+", encoding="utf-8") as out,
    ):
        json.dump(standard_input(), inp)
        inp.seek(0)
        proc = subprocess.run(
            ["node", str(SOLCJS), "--standard-json"],
            stdin=inp,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        out.seek(0)
        stdout = out.read()
    if proc.returncode != 0:
        raise BuildError(f"solcjs failed: {proc.stderr.strip()}")
    # solcjs may print warnings before the JSON document.
    output = json.loads(stdout[stdout.index("{") :])
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    artifacts: dict[str, dict[str, Any]] = {}
    for name, unit in CONTRACTS.items():
        c = output["contracts"][unit][name]
        artifacts[name] = {
            "contractName": name,
            "source": unit,
            "abi": c["abi"],
            "bytecode": "0x" + c["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + c["evm"]["deployedBytecode"]["object"],
            "solcVersion": version,
            "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
        }
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def write_artifacts(out_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in compile_all().items():
        path = out_dir / f"{name}.json"
        path.write_text(render(artifact), encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    try:
        paths = write_artifacts()
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for p in paths:
        print(p.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
