"""The demo network: the programme record plus clearly fictional people around it.

Every demo person and organisation is invented; their addresses use the reserved
`.example` domain so no mail can reach a real person. Each capability adds its own step to
STEPS (threads, resources, chat, events…), all driven through the real actions.
"""

import random
from collections.abc import Callable

from sqlalchemy import func, select

from .accounts import passwords
from .accounts.actions import create_organisation, update_profile
from .accounts.models import User
from .communities.actions import add_moderator, join_community
from .communities.models import Community, Membership
from .config import default_timezone
from .db import atomic, utcnow
from .extensions import db

DEMO_DOMAIN = "demo.example"
DEMO_PASSWORD = "commons-demo"  # noqa: S105 (published: the demo is for trying the site)
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"

FIRST = [
    "Aisha",
    "Ben",
    "Carys",
    "Dev",
    "Elin",
    "Farid",
    "Grace",
    "Hamza",
    "Iona",
    "Jonah",
    "Keira",
    "Luis",
    "Mair",
    "Nadia",
    "Owen",
    "Priya",
    "Quinn",
    "Rhys",
    "Sana",
    "Tomasz",
    "Una",
    "Vikram",
    "Wren",
    "Yusuf",
    "Zofia",
    "Alys",
    "Bilal",
    "Cerys",
    "Dylan",
    "Efa",
]
LAST = [
    "Okafor",
    "Pryce",
    "Llewellyn",
    "Khan",
    "Morgan",
    "Novak",
    "Adeyemi",
    "Hughes",
    "Fraser",
    "Castillo",
    "Evans",
    "Kowalski",
    "Rahman",
    "Doyle",
    "Mensah",
    "Pritchard",
    "Sato",
    "Reilly",
    "Ahmed",
    "Whitfield",
]

FICTIONAL_ORGS = [
    ("Riverside Community Enterprise (demo)", "development partnership", "North East"),
    ("Valleys Social Firms Network (demo)", "regional body", "Wales"),
    ("Northgate Borough Council (demo)", "local authority", "North West"),
    ("Eastmere Health Partnership (demo)", "health body", "East of England"),
    ("Harbourside Co-operative Agency (demo)", "development partnership", "South West"),
]


class DemoRefused(Exception):
    pass


def _people(rng: random.Random, n: int) -> list[tuple[str, str]]:
    names = sorted({f"{f} {s}" for f in FIRST for s in LAST})
    chosen = rng.sample(names, n)
    return [(name, name.lower().replace(" ", ".") + f"@{DEMO_DOMAIN}") for name in chosen]


def demo_members(rng: random.Random) -> str:
    """~60 fictional members, an admin and one moderator per community, with memberships."""
    # Fictional people belong only to fictional organisations: the record's organisations are
    # real, and nobody invented should appear to work for one.
    orgs = [create_organisation(name=n, kind=k, region=r) for n, k, r in FICTIONAL_ORGS]
    db.session.flush()
    password_hash = passwords.hash_password(DEMO_PASSWORD)  # one hash: the same demo password
    now = utcnow()
    admin = User(
        email=ADMIN_EMAIL,
        display_name="Demo Admin",
        password_hash=password_hash,
        site_role="admin",
        verified_at=now,
    )
    db.session.add(admin)
    members = []
    for name, email in _people(rng, 60):
        org = rng.choice(orgs)
        user = User(
            email=email,
            display_name=name,
            password_hash=password_hash,
            organisation=org,
            verified_at=now,
        )
        db.session.add(user)
        members.append(user)
    db.session.flush()
    # Each profile as a member fills it in on the settings page: the bio rendered and all.
    for user in members:
        update_profile(
            user,
            user.id,
            display_name=user.display_name,
            organisation=str(user.organisation.id),
            bio=f"{user.display_name.split()[0]} works at **{user.organisation.name}**. "
            "_(A fictional demo member.)_",
            timezone=default_timezone(),
        )
    communities = list(
        db.session.scalars(
            select(Community)
            .where(Community.archived_at.is_(None), Community.visibility == "public")
            .order_by(Community.position)
        )
    )
    for user in members:
        for community in rng.sample(communities, rng.randint(1, min(4, len(communities)))):
            join_community(user, community.slug)
    # One moderator per community, each a different person (made a member if they were not).
    for community, moderator in zip(
        communities, rng.sample(members, len(communities)), strict=True
    ):
        add_moderator(admin, community.slug, email=moderator.email)
    memberships = db.session.scalar(select(func.count()).select_from(Membership))
    return (
        f"{len(members)} members with {memberships} memberships, 1 admin, "
        f"{len(communities)} moderators"
    )


def _demo_threads(rng: random.Random) -> str:
    from .threads.demo import demo_threads

    return demo_threads(rng)


def _demo_resources(rng: random.Random) -> str:
    from .resources.demo import demo_resources

    return demo_resources(rng)


def _demo_chat(rng: random.Random) -> str:
    from .chat.demo import demo_chat

    return demo_chat(rng)


def _demo_events(rng: random.Random) -> str:
    from .events.demo import demo_events

    return demo_events(rng)


STEPS: list[Callable[[random.Random], str]] = [
    demo_members, _demo_threads, _demo_resources, _demo_chat, _demo_events,
]  # fmt: skip


def load_demo(seed: int = 2026) -> str:
    """Run every demo step in one transaction on a database that has no accounts yet.

    The seed step runs first (it is idempotent), so a freshly migrated database is enough.
    """
    if db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)):
        return "The demo network is already loaded."
    accounts = db.session.scalar(select(func.count()).select_from(User))
    if accounts:
        raise DemoRefused(
            f"This database already has {accounts} account{'' if accounts == 1 else 's'}; "
            "the demo goes only into a fresh one. Point DATABASE_URL (or INSTANCE_DIR) at a "
            "new database."
        )
    from .seed import seed as run_seed

    run_seed()
    rng = random.Random(seed)
    with atomic():
        lines = [step(rng) for step in STEPS]
    from .network_health.rollup import refresh

    lines.append(f"Network health: {refresh().line()}")
    lines.append(f"Sign in as {ADMIN_EMAIL} (or any demo member) with password {DEMO_PASSWORD}")
    return "\n".join(lines)
