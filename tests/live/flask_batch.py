"""Run as `python -m tests.live.flask_batch < COMMANDS`: the `flask --app community` command
lines given as JSON on standard input (`[[args, stdin or null], ...]`), one after the other
through Flask's own command-line entry point, in this one process: each starts from its own
`create_app()` as in a process of its own, without the seconds of imports each costs.

Stops at the first command that fails, with its exit code or its traceback.
"""

import io
import json
import sys

from flask.cli import cli


def main() -> None:
    commands = json.load(sys.stdin)
    for args, stdin in commands:
        sys.stdin = io.StringIO(stdin or "")
        code = cli.main(["--app", "community", *args], prog_name="flask", standalone_mode=False)
        if code:
            sys.exit(f"flask {' '.join(args)} exited with {code}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
