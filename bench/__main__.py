"""`make bench`: run every benchmark and write its figures to bench/RESULTS.md.

`python -m bench [NAME ...] [OPTIONS]`: only the benchmarks named (all by default); the
options go to each of them (`python -m bench chat --help` lists the chat benchmark's, e.g.
`python -m bench chat --clients 50 --quick` for a quick run).
"""

import sys

from . import chat, digests, health, keepalive, pages

BENCHMARKS = {
    "pages": lambda _argv: pages.run(),
    "keepalive": lambda _argv: keepalive.run(),
    "chat": chat.main,
    "digests": digests.main,
    "health": health.main,
}


def main(argv: list[str]) -> None:
    names = list(_leading_names(argv))
    options = argv[len(names) :]
    if options and "chat" not in (names or BENCHMARKS):
        sys.exit(f"options {options} are for the chat benchmark only")
    for name in names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        print(BENCHMARKS[name](options if name == "chat" else []))


def _leading_names(argv: list[str]):
    for arg in argv:
        if arg not in BENCHMARKS:
            if not arg.startswith("-"):
                sys.exit(f"unknown benchmark {arg!r}; choose from {', '.join(BENCHMARKS)}")
            return
        yield arg


if __name__ == "__main__":
    main(sys.argv[1:])
