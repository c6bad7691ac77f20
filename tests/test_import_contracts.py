"""The import contracts of pyproject.toml ([tool.importlinter], docs/architecture.md "Allowed imports") hold, and the
check run by CI can fail: a copy of the code with one rogue import per contract breaks every one of them."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("clinic", "intake", "sessions", "integration", "messaging", "portal")


def _config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _contracts() -> dict[str, dict[str, Any]]:
    return {contract["id"]: contract for contract in _config()["tool"]["importlinter"]["contracts"]}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # import-linter puts the working directory first on sys.path, so a copy of the code is read from the copy.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in result.stdout


ROGUE_IMPORTS = {
    "pure-rules": ("sessions/dosing.py", "from django.utils import timezone  # rogue\n"),
    "clinic-core": ("clinic/rogue.py", "import intake.services  # rogue\n"),
    "no-portal": ("integration/rogue.py", "import portal.views  # rogue\n"),
    "sessions-before-integration": ("sessions/rogue.py", "import integration.models  # rogue\n"),
    "intake-first": ("intake/rogue.py", "import sessions.models  # rogue\n"),
    "messaging-on-clinic": ("messaging/rogue.py", "import intake.models  # rogue\n"),
}


def test_a_rogue_import_breaks_each_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path).returncode == 0  # the copy alone is clean: the rogue lines below break it
    for path, line in ROGUE_IMPORTS.values():
        with (tmp_path / path).open("a") as file:
            file.write(line)
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    contracts = _contracts()
    assert set(ROGUE_IMPORTS) == set(contracts), "every contract needs a rogue import that breaks it"
    for contract in contracts.values():
        assert f"{contract['name']} BROKEN" in result.stdout, result.stdout
    assert f"Contracts: 0 kept, {len(contracts)} broken." in result.stdout


def test_every_pure_module_checked_strictly_by_mypy_is_under_the_pure_rules_contract() -> None:
    strict = [name for o in _config()["tool"]["mypy"]["overrides"] if o.get("strict") for name in o["module"]]
    existing = [name for name in strict if importlib.util.find_spec(name) is not None]
    assert "sessions.dosing" in existing
    missing = set(existing) - set(_contracts()["pure-rules"]["source_modules"])
    assert not missing, f"add {sorted(missing)} to the pure-rules contract in pyproject.toml"
