"""`flask health rollup [--rebuild]`: count the network health figures now."""

import click
from flask.cli import AppGroup

from . import rollup

health_cli = AppGroup("health", help="The network health figures (/admin/health).")


@health_cli.command("rollup")
@click.option("--rebuild", is_flag=True, help="Count every day again, not only the stale ones.")
def rollup_command(rebuild: bool) -> None:
    """Recompute the stale days of the rollup (every day with --rebuild), as the job does."""
    click.echo(rollup.refresh(rebuild=rebuild).line())
