"""scripts/setup.sh picks a Python >= 3.12 by itself, and says what to install when there is none.

Runs `setup.sh --find-python-only`, which changes nothing, with a PATH holding only fake interpreters: shell
scripts that print a version the way the real probe does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "scripts" / "setup.sh"
BASH = shutil.which("bash") or "/bin/bash"


def fake_python(path: Path, version: str) -> Path:
    """An executable that answers the probe like that Python version would (prints it, exits 0 if >= 3.12)."""
    major, minor, micro = (int(part) for part in version.split("."))
    ok = 0 if (major, minor) >= (3, 12) else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {major} {minor} {micro}\nexit {ok}\n")
    path.chmod(0o755)
    return path


def failing_shim(path: Path) -> Path:
    """Like pyenv's shims when PYENV_VERSION is unset: on PATH, but exits 127."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'pyenv: command not found' >&2\nexit 127\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, str]:
    """An environment with nothing real to find: empty HOME, PATH and system directories."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "system").mkdir()
    return {
        "PATH": str(tmp_path / "bin"),
        "HOME": str(tmp_path / "home"),
        "KAP_SYSTEM_PYTHON_DIRS": str(tmp_path / "system"),
    }


def find_python(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SETUP), "--find-python-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_without_python_312_exits_1_and_says_what_to_install(tmp_path: Path, sandbox: dict[str, str]) -> None:
    fake_python(tmp_path / "bin" / "python3", "3.11.7")
    failing_shim(tmp_path / "bin" / "python3.12")

    result = find_python(sandbox)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Python 3.12 or newer is needed" in result.stderr
    assert "apt-get install python3.12 python3.12-venv" in result.stderr
    assert "pyenv install 3.12" in result.stderr


def test_picks_pyenv_version_when_path_has_only_old_python(tmp_path: Path, sandbox: dict[str, str]) -> None:
    fake_python(tmp_path / "bin" / "python3", "3.11.7")
    failing_shim(tmp_path / "bin" / "python3.13")
    pyenv_root = tmp_path / "pyenv"
    chosen = fake_python(pyenv_root / "versions" / "3.12.9" / "bin" / "python3", "3.12.9")

    result = find_python({**sandbox, "PYENV_ROOT": str(pyenv_root)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(chosen)


def test_picks_newest_pyenv_version_by_number_not_by_name(tmp_path: Path, sandbox: dict[str, str]) -> None:
    versions = Path(sandbox["HOME"]) / ".pyenv" / "versions"
    fake_python(versions / "3.12.9" / "bin" / "python3", "3.12.9")
    newest = fake_python(versions / "3.12.10" / "bin" / "python3", "3.12.10")
    fake_python(versions / "3.11.9" / "bin" / "python3", "3.11.9")

    result = find_python(sandbox)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(newest)


def test_python_variable_comes_first(tmp_path: Path, sandbox: dict[str, str]) -> None:
    fake_python(tmp_path / "bin" / "python3", "3.13.1")
    wanted = fake_python(tmp_path / "elsewhere" / "python", "3.12.4")

    result = find_python({**sandbox, "PYTHON": str(wanted)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(wanted)


def test_falls_back_to_system_directories(tmp_path: Path, sandbox: dict[str, str]) -> None:
    fake_python(tmp_path / "system" / "python3.12", "3.12.3")
    newest = fake_python(tmp_path / "system" / "python3.13", "3.13.5")

    result = find_python(sandbox)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(newest)
