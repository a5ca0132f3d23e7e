"""`flask communities …`: list communities, assign and remove moderators."""

import click
from flask.cli import AppGroup

from ..accounts.actions import find_user_by_email
from ..accounts.models import User
from ..cli_helpers import run_action
from . import actions, queries

communities_cli = AppGroup("communities", help="Manage communities and their moderators.")


def _console_actor() -> User:
    """The acting user for CLI commands: whoever can run `flask` on the server is an admin.

    Never added to the session; audit rows record it as a missing actor ("the command line").
    """
    return User(id=None, display_name="console", email="", site_role="admin", password_hash="")


@communities_cli.command("list")
def list_communities() -> None:
    """The communities with their member counts and moderators."""
    rows = queries.communities_for(_console_actor(), archived=True)
    if not rows:
        click.echo("No communities yet: `flask seed` creates them.")
        return
    moderators = queries.moderators_by_community([c.id for c, _ in rows], everyone=True)
    for community, _role in rows:
        mods = ", ".join(u.email for u in moderators.get(community.id, [])) or "no moderators"
        visibility = "" if community.is_public else " [members only]"
        archived = " [archived]" if community.archived_at is not None else ""
        click.echo(
            f"{community.slug:26} {community.member_count:5} members  ({mods})"
            f"{visibility}{archived}"
        )


@communities_cli.command("add-moderator")
@click.argument("slug")
@click.argument("email")
def add_moderator(slug: str, email: str) -> None:
    """Make the member with EMAIL a moderator of the community SLUG."""
    m = run_action(actions.add_moderator, _console_actor(), slug, email=email)
    click.echo(f"{m.user.email} moderates {slug}.")


@communities_cli.command("remove-moderator")
@click.argument("slug")
@click.argument("email")
def remove_moderator(slug: str, email: str) -> None:
    """Take the moderator role from the member with EMAIL in SLUG (they stay a member)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException("No account uses that email address.")
    run_action(actions.remove_moderator, _console_actor(), slug, user_id=user.id)
    click.echo(f"{email.strip().lower()} no longer moderates {slug}.")
