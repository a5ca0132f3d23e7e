"""`flask digests send` and `flask digests preview`."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from . import build

digests_cli = AppGroup("digests", help="Email digests: send the current period's, preview one.")


@digests_cli.command("send")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), help="Only these digests.")
@click.option("--dry-run", is_flag=True, help="Build and count, but store and queue nothing.")
def send_command(frequency: str | None, dry_run: bool) -> None:
    """Build and queue every digest of the current period not built yet, whatever the hour
    (the job loop then sends them; in the embedded mode they land in instance/outbox/)."""
    total = db.session.scalar(
        select(db.func.count()).select_from(build.takers(frequency).subquery())
    )
    db.session.rollback()
    with click.progressbar(length=total or 0, label="Building digests") as bar:
        summary = build.send_digests(
            frequency=frequency, whatever_the_hour=True, dry_run=dry_run, progress=bar.update
        )
    click.echo(("Dry run: " if dry_run else "") + summary.line())
    if summary.failed:
        raise SystemExit(1)


@digests_cli.command("preview")
@click.argument("email")
def preview_command(email: str) -> None:
    """Print the digest the member with EMAIL would get now (text version)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no member has the address {email}")
    subject, text, _html = build.preview(user)
    click.echo(f"Subject: {subject}\n\n{text}")
