"""Every module of the package can be the first one a process imports.

Domain packages import their views when imported, and views import other domains, so a
module-level import in the wrong place makes a cycle that only shows when some module is
imported first (a test file, a CLI entry point, a worker): each module is imported here as
the first one of the package in its process (`tests.import_first`: modules whose imports run
the same steps share one run).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "community"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
)


def test_the_module_list_is_the_package():
    assert "community.communities.models" in MODULES
    assert "community" in MODULES
    assert len(MODULES) > 50


@pytest.mark.slow
def test_every_module_imports_first(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path)  # compiled once for all the runs, outside the tree
    result = subprocess.run(
        [sys.executable, "-m", "tests.import_first", *MODULES],
        cwd=PACKAGE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", "modules that cannot be imported first:\n" + result.stdout
