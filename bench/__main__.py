"""`make bench`: run every benchmark and write its figures to bench/RESULTS.md.

`python -m bench [NAME ...] [OPTIONS]`: only the benchmarks named (all by default); the
options go to each benchmark named (`python -m bench pages --help` lists the page benchmark's,
e.g. `python -m bench pages search --posts 10000 --backends sqlite` for a quick run of both;
`python -m bench chat --clients 50 --quick`).
"""

import sys

from . import chat, data, digests, health, keepalive, pages, search

BENCHMARKS = {  # each takes its command-line options
    "pages": pages.main,
    "search": search.main,
    "keepalive": lambda _argv: keepalive.run(),
    "chat": chat.main,
    "digests": digests.main,
    "health": health.main,
}
WITH_OPTIONS = {"pages", "search", "chat"}


def main(argv: list[str]) -> None:
    names = list(_leading_names(argv))
    options = argv[len(names) :]
    if options and (not names or set(names) - WITH_OPTIONS):
        sys.exit(f"options {options} need benchmarks that take them: {', '.join(WITH_OPTIONS)}")
    with data.hold():  # the page and search benchmarks share each seeded database
        for name in names or list(BENCHMARKS):
            print(f"== {name}", flush=True)
            print(BENCHMARKS[name](options))


def _leading_names(argv: list[str]):
    for arg in argv:
        if arg not in BENCHMARKS:
            if not arg.startswith("-"):
                sys.exit(f"unknown benchmark {arg!r}; choose from {', '.join(BENCHMARKS)}")
            return
        yield arg


if __name__ == "__main__":
    main(sys.argv[1:])
