"""Every module of the package can be the first one a process imports.

Domain packages import their views when imported, and views import other domains, so a
module-level import in the wrong place makes a cycle that only shows when some module is
imported first (a test file, a CLI entry point, a worker): each module is imported here in a
fresh interpreter of its own.
"""

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "community"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
)
# One interpreter per module, but many modules per interpreter launch: each is imported after
# clearing what the previous one loaded, so each import is the first of the package.
SCRIPT = """
import sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "community" or m.startswith("community.")]:
        del sys.modules[loaded]
    try:
        __import__(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_the_module_list_is_the_package():
    assert "community.communities.models" in MODULES
    assert "community" in MODULES
    assert len(MODULES) > 50


@pytest.mark.slow
def test_every_module_imports_first():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *MODULES],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", "modules that cannot be imported first:\n" + result.stdout
