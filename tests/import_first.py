"""Run as `python -m tests.import_first MODULE...`: prints one line per module of the package
that cannot be the first one a process imports (nothing when every one can).

Importing `a.b.c` first runs, in order, the import of each of `a`, `a.b` and `a.b.c` that is
not loaded yet by the ones before. Two modules whose runs are the same steps are the same
test, so each distinct run is made once: a tree walk where each step is imported in a forked
child of the process that imported the steps before it (no package module loaded at the
root), and that child walks on. The libraries the package uses are imported once, at the root.
"""

import os
import sys

PACKAGE = "community"


def _ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _chain(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _next_steps(names: list[str]) -> dict[str, list[str]]:
    """The modules whose run goes on from here, by the step each takes next."""
    steps: dict[str, list[str]] = {}
    for name in names:
        step = next((s for s in _chain(name) if s not in sys.modules), None)
        if step is not None:
            steps.setdefault(step, []).append(name)
    return steps


def _report(names: list[str], problem: str) -> None:
    print("\n".join(f"{name}: {problem}" for name in names), flush=True)


def walk(names: list[str]) -> None:
    for step, group in _next_steps(names).items():
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                __import__(step)
            except Exception as exc:
                _report(group, f"{type(exc).__name__}: {exc}")
            else:
                walk(group)
            sys.stdout.flush()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status:
            _report(group, f"the importing process ended with status {status}")


def main(names: list[str]) -> None:
    for name in names:  # the libraries, loaded once; a failure here shows in the walk
        try:
            __import__(name)
        except Exception:  # noqa: S112
            continue
    for name in [m for m in sys.modules if _ours(m)]:
        del sys.modules[name]
    walk(names)


if __name__ == "__main__":
    main(sys.argv[1:])
