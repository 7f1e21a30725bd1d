"""Package layout that pyproject.toml cannot say: the top-level sample_dumps/ folder
ships inside the package as ``browser/sample_dumps`` (one copy of the files in the
repository), so a non-editable or pipx install opens on the sample papers at first run.
Everything else about the project is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["browser", "browser.*"]), "browser.sample_dumps"],
    package_dir={"browser.sample_dumps": "sample_dumps"},
    package_data={
        "browser": ["*.tcss", "py.typed"],
        "browser.sample_dumps": ["*"],
    },
)
