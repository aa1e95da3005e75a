"""The import-linter contracts in pyproject.toml catch an inverted import: `make lint` fails naming it.

A copy of the packages (and the contracts) gets one import added per rule; lint-imports runs on the copy, so
the real tree is never touched. The pristine copy answers exactly as the real tree does, and whatever that
answer is today, the added import must show up in it as a new violation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # A wide console: rich would otherwise wrap a long import chain over two lines.
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "400"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


def copy_tree(target: Path) -> Path:
    for package in ("apps", "lykos"):
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def verdict(result: subprocess.CompletedProcess[str]) -> str:
    """The contracts' verdict without the count of analysed files, which an added module changes."""
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith(("Analyzed", "-----")))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What lint-imports says of the unchanged copy; the same as of the real tree."""
    copied = lint_imports(copy_tree(tmp_path_factory.mktemp("pristine")))
    assert "Contracts:" in copied.stdout, copied.stdout + copied.stderr  # the contracts ran
    assert verdict(copied) == verdict(lint_imports(ROOT))
    return verdict(copied)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path)


def add_module(tree: Path, dotted: str, source: str) -> None:
    path = tree.joinpath(*dotted.split(".")).with_suffix(".py")
    path.write_text(source)


@pytest.mark.parametrize(
    ("module", "source", "violation"),
    [
        pytest.param(
            "apps.identity.inverted",
            "from apps.paymaster.services import transaction_prepare\n",
            "apps.identity.inverted -> apps.paymaster.services (l.1)",
            id="a lower layer imports a product app",
        ),
        pytest.param(
            "apps.paymaster.inverted",
            "import apps.social_profile.selectors\n",
            "apps.paymaster.inverted -> apps.social_profile.selectors (l.1)",
            id="a product app imports its sibling",
        ),
        pytest.param(
            "lykos.inverted",
            "def load() -> None:\n    import apps.identity\n",
            "lykos.inverted -> apps.identity (l.2)",
            id="the project package imports an app",
        ),
        pytest.param(
            "apps.security.inverted",
            "from apps.chain.models import Account\n",
            "apps.security.inverted -> apps.chain.models (l.1)",
            id="an app imports another app's models",
        ),
    ],
)
def test_an_inverted_import_breaks_a_contract_naming_the_import(
    baseline: str, tree: Path, module: str, source: str, violation: str
) -> None:
    assert violation not in baseline
    add_module(tree, module, source)
    after = lint_imports(tree)
    assert after.returncode != 0
    assert violation in after.stdout, after.stdout


def test_an_import_for_type_hints_only_is_allowed(baseline: str, tree: Path) -> None:
    add_module(
        tree,
        "apps.identity.hinted",
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from apps.paymaster.services import x\n",
    )
    assert verdict(lint_imports(tree)) == baseline
