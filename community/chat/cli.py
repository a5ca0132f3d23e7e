"""`flask chat …`: post to a room from the command line (announcements on networking days).

The message goes through the same action as the page's, so it is numbered, stored and then
broadcast; with REDIS_URL set the broadcast travels through the Socket.IO message queue to
every server process."""

import secrets

import click
from flask.cli import AppGroup

from ..accounts.actions import find_user_by_email
from ..cli_helpers import run_action
from . import actions

chat_cli = AppGroup("chat", help="Post to chat rooms.")


@chat_cli.command("post")
@click.argument("room")
@click.argument("text")
@click.option("--as", "email", required=True, help="The member who posts (their email).")
def post(room: str, text: str, email: str) -> None:
    """Post TEXT to the chat ROOM (a community's address) as the member with --as EMAIL."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    message, _ = run_action(
        actions.send_message, user, room, body=text, client_id=f"cli-{secrets.token_hex(8)}"
    )
    click.echo(f"Posted message {message.number} to {room}.")
