"""Where the folders the registry ships beside its code are: migrations/ and seed/.

In a checkout they sit at the top of the repository, beside registry/ (that
layout is the curators'); a built wheel carries them inside the package, as
registry/migrations and registry/seed (pyproject.toml, force-include). Code
asks here and works the same from either.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped_dir(name: str) -> Path:
    """registry/NAME inside an installed wheel, else NAME at the top of the checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


MIGRATIONS_DIR = shipped_dir("migrations")
#: The curated seed files (one YAML file per publication).
SEED_PUBLICATIONS_DIR = shipped_dir("seed") / "publications"
