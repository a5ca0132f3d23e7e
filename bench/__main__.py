"""`make bench`: run every benchmark and write its figures to bench/RESULTS.md."""

import sys

from . import pages

BENCHMARKS = {"pages": pages.run}


def main(names: list[str]) -> None:
    for name in names or list(BENCHMARKS):
        print(f"== {name}")
        print(BENCHMARKS[name]())


if __name__ == "__main__":
    main(sys.argv[1:])
