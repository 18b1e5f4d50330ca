"""The release version, read once from pyproject.toml so that it has a single source.

The package is never installed (the app runs from its checkout or the image's copy of
it), so package metadata is not available; pyproject.toml travels with the code.
"""

import tomllib
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _read_version() -> str:
    with _PYPROJECT.open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


VERSION = _read_version()
