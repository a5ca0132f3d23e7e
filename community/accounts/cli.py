"""`flask users …`, `flask members …` and `flask orgs …`."""

import sys

import click
from flask.cli import AppGroup

from ..cli_helpers import run_action
from . import actions
from .queries import organisations_with_counts

users_cli = AppGroup("users", help="Manage member accounts.")
orgs_cli = AppGroup("orgs", help="Manage the list of organisations.")
members_cli = AppGroup("members", help="Suspend and unsuspend members site-wide.")


def _read_password_stdin() -> str:
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", help="Display name (new accounts; default: the part before the @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(email: str, name: str | None, password_stdin: bool) -> None:
    """Create a site admin, or make an existing member one (bootstraps the first admin).

    A new account needs a password: from a prompt, or one line of standard input with
    --password-stdin. An existing member keeps their password unless --password-stdin gives
    a new one (which also signs them out everywhere).
    """
    exists = actions.find_user_by_email(email) is not None
    if password_stdin:
        password: str | None = _read_password_stdin()
    elif exists:
        password = None
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    hints = {"display_name": " Give a display name with --name."}
    user = run_action(actions.create_admin, email, password, name, _hints=hints)
    click.echo(f"{user.email} is {'now ' if exists else ''}an admin.")


def _member(email: str):
    user = actions.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    return user


def _suspend(email: str, reason: str, until: str | None):
    day = actions.parse_day(until) if until else None
    return actions.suspend_member(None, _member(email), reason, day)


@members_cli.command("suspend")
@click.argument("email")
@click.option("--reason", required=True, help="Why: the member is told this by mail.")
@click.option("--until", metavar="YYYY-MM-DD", help="The day the suspension lapses by itself.")
def suspend(email: str, reason: str, until: str | None) -> None:
    """Suspend a member: they are signed out everywhere and cannot sign in."""
    hints = {"until": " Give --until as YYYY-MM-DD, a day in the future.", "reason": ""}
    user = run_action(_suspend, email, reason, until, _hints=hints)
    ends = f" until {until}" if until else ""
    click.echo(f"{user.email} is suspended{ends}; their sessions have ended.")


@members_cli.command("unsuspend")
@click.argument("email")
def unsuspend(email: str) -> None:
    """Lift a member's suspension."""
    user = run_action(lambda: actions.unsuspend_member(None, _member(email)))
    click.echo(f"{user.email} is no longer suspended.")


@orgs_cli.command("add")
@click.argument("name")
@click.option("--kind", default="", help="e.g. development partnership, local authority")
@click.option("--region", default="")
@click.option("--website", default="", help="Starting with http:// or https://")
@click.option("--description", default="")
def add_org(name: str, kind: str, region: str, website: str, description: str) -> None:
    """Add an organisation members can choose when they register."""
    org = run_action(
        actions.create_organisation,
        name=name,
        kind=kind,
        region=region,
        website=website,
        description=description,
    )
    click.echo(f"added {org.name} ({org.slug})")


@orgs_cli.command("list")
def list_orgs() -> None:
    """List the organisations with their member counts."""
    rows = organisations_with_counts()
    if not rows:
        click.echo("No organisations yet: `flask seed` adds the network's own.")
    for org, count in rows:
        click.echo(f"{org.slug:40} {count:5}  {org.name}")
