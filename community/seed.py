"""`flask seed` (the real data every site needs) and `flask demo load` (a demo network).

The seed step creates the seven communities and the partner organisations from
data/network.json, the network's programme record, and the standard site pages (about,
privacy, terms, contact: community/pages/standard.py). It is idempotent and never overwrites
what admins have changed. Demo data is loaded only by `flask demo load`, never implicitly.
"""

import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .accounts.actions import create_organisation, slugify
from .accounts.models import Organisation
from .communities.actions import create_community
from .communities.models import Community
from .db import atomic
from .errors import DomainError
from .extensions import db
from .pages import actions as page_actions
from .pages.standard import PAGES

RECORD_PATH = Path(__file__).resolve().parent.parent / "data" / "network.json"


def load_record() -> dict:
    return json.loads(RECORD_PATH.read_text(encoding="utf-8"))


def seed(record: dict | None = None) -> dict[str, int]:
    """Create the record's communities and organisations, and the standard site pages, that
    do not exist yet."""
    record = record or load_record()
    created = {"communities": 0, "organisations": 0, "pages": 0}
    with atomic():
        existing = set(db.session.scalars(select(Community.slug)))
        for position, c in enumerate(record["communities"]):
            if c["slug"] not in existing:
                create_community(
                    slug=c["slug"],
                    name=c["name"],
                    description=c["description"],
                    position=position,
                )
                created["communities"] += 1
        names = {n.lower() for n in db.session.scalars(select(Organisation.name))}
        slugs = set(db.session.scalars(select(Organisation.slug)))
        for o in record["organisations"]:
            if o["name"].lower() in names or slugify(o["name"]) in slugs:
                continue
            create_organisation(
                name=o["name"], kind=o.get("kind", ""), description=o.get("note", "")
            )
            created["organisations"] += 1
        created["pages"] = page_actions.add_standard_pages(PAGES)
    return created


@click.command("seed")
def seed_command() -> None:
    """Create the seven communities, the organisations and the standard site pages (safe
    to run again: nothing that exists is changed)."""
    created = seed()
    click.echo(
        f"seed: {created['communities']} communities and "
        f"{created['organisations']} organisations created; {created['pages']} site pages created"
    )


demo_cli = AppGroup("demo", help="The demo network (never loaded implicitly).")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo network into a fresh database (it runs the seed step first)."""
    from .demo import DemoRefused, load_demo

    try:
        summary = load_demo()
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    except DomainError as exc:  # e.g. a demo organisation's name is already taken
        raise click.ClickException(f"The demo could not be loaded: {exc.message}") from exc
    click.echo(summary)
