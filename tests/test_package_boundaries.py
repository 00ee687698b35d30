"""Dependencies run one way: boneds may import frdeid; bonevlp imports neither, nor the
hospital-side libraries (it runs off-site on shards alone)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL_ONLY = {"frdeid", "boneds", "spacy", "flair", "pydicom", "deid", "pytesseract"}
FORBIDDEN_IMPORTS = {
    "frdeid": {"boneds", "bonevlp"},
    "boneds": {"bonevlp"},
    "bonevlp": HOSPITAL_ONLY,
}


def _imported_top_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "packages" / package / "src").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IMPORTS))
def test_sources_import_only_allowed_packages(package):
    assert not (_imported_top_modules(package) & FORBIDDEN_IMPORTS[package])


def test_bonevlp_declares_no_hospital_dependency():
    meta = tomllib.loads((ROOT / "packages" / "bonevlp" / "pyproject.toml").read_text())
    names = {dep.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
             for dep in meta["project"]["dependencies"]}
    assert not names & HOSPITAL_ONLY


def test_importing_bonevlp_loads_no_hospital_module():
    code = (f"import sys, bonevlp, bonevlp.cli; bad = {{m.split('.')[0] for m in sys.modules}} & {HOSPITAL_ONLY!r}; "
            "print(sorted(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", ["frdeid", "boneds", "bonevlp"])
def test_console_scripts_answer_help(command):
    exe = Path(sys.executable).parent / command
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert f"usage: {command}" in result.stdout


def test_one_constraints_file_pins_torch_and_torchvision_together():
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "-c constraints.txt" in setup
