"""Installs like a tool: the wheel carries the sample dumps, the styles and the version."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_DUMPS

from browser import __version__
from browser.cli import main


@pytest.mark.slow
def test_the_wheel_ships_the_sample_dumps_once(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source / name)
    skip = shutil.ignore_patterns("__pycache__")
    for folder in ("browser", "sample_dumps"):
        shutil.copytree(REPO / folder, source / folder, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    dumps = sorted(name for name in names if "sample_dumps" in name)
    assert dumps == sorted(f"browser/sample_dumps/{p.name}" for p in SAMPLE_DUMPS.iterdir())
    assert "browser/browser.tcss" in names and "browser/py.typed" in names
    assert not any(name.startswith("sample_dumps/") for name in names)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"paper-browser {__version__}"
