"""`flask seed` (the real communities and organisations) and `flask demo load`."""

import pytest
from sqlalchemy import func, select

from community.accounts import passwords
from community.accounts.models import Organisation, User
from community.communities.models import Community, Membership
from community.db import atomic
from community.demo import ADMIN_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD
from community.extensions import db
from community.seed import load_record
from tests.conftest import Browser, load_demo
from tests.factories import make_user


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        result = runner.invoke(args=list(args))
        db.session.rollback()  # see what the command committed (SQLite keeps snapshots)
        return result

    return invoke


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_creates_the_records_communities_and_organisations(cli):
    record = load_record()
    result = cli("seed")
    assert result.exit_code == 0, result.output
    assert "7 communities" in result.output
    communities = db.session.scalars(select(Community).order_by(Community.position)).all()
    assert [(c.slug, c.name, c.description) for c in communities] == [
        (c["slug"], c["name"], c["description"]) for c in record["communities"]
    ]
    assert all(c.is_public and c.member_count == 0 for c in communities)
    names = set(db.session.scalars(select(Organisation.name)))
    assert names == {o["name"] for o in record["organisations"]}


def test_seed_twice_changes_nothing_and_keeps_admin_edits(cli):
    assert cli("seed").exit_code == 0
    with atomic():
        finance = db.session.scalar(select(Community).where(Community.slug == "finance"))
        finance.description = "Edited by an admin."
        finance.name = "Finance and investment"
        finance.visibility = "members"
        org = db.session.scalar(select(Organisation).where(Organisation.name == "Demos"))
        org.description = "Edited too."
    before = (_count(Community), _count(Organisation))

    result = cli("seed")
    assert result.exit_code == 0, result.output
    assert "0 communities and 0 organisations created" in result.output
    assert (_count(Community), _count(Organisation)) == before
    finance = db.session.scalar(select(Community).where(Community.slug == "finance"))
    assert (finance.name, finance.description, finance.visibility) == (
        "Finance and investment",
        "Edited by an admin.",
        "members",
    )
    assert db.session.scalar(
        select(Organisation.description).where(Organisation.name == "Demos")
    ) == ("Edited too.")


def test_seed_does_not_duplicate_an_organisation_an_admin_already_added(cli):
    assert cli("orgs", "add", "demos").exit_code == 0  # same name, other case
    assert cli("seed").exit_code == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(func.lower(Organisation.name) == "demos")
        )
        == 1
    )


# --- the demo -------------------------------------------------------------------------------


def test_demo_load_on_a_fresh_database(app):
    output = load_demo(app, for_real=True)  # runs the seed step itself
    assert "60 members" in output
    assert "7 moderators" in output
    assert ADMIN_EMAIL in output
    assert DEMO_PASSWORD in output

    assert _count(Community) == 7
    members = db.session.scalars(select(User).where(User.site_role == "member")).all()
    assert len(members) == 60
    assert all(u.email.endswith("@" + DEMO_DOMAIN) and u.is_verified for u in members)
    # Fictional people belong to fictional organisations only, never to the record's real ones.
    assert all(u.organisation is not None and "(demo)" in u.organisation.name for u in members)

    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    assert admin.is_admin
    assert passwords.check_password(admin.password_hash, DEMO_PASSWORD)
    # Profiles as members write them: each bio rendered, as the profile page shows it.
    assert all(u.bio and "<strong>" in u.bio_html for u in members)

    memberships = _count(Membership)
    assert memberships >= 60
    assert f"60 members with {memberships} memberships" in output
    moderators = db.session.execute(
        select(Membership.community_id, Membership.user_id).where(Membership.role == "moderator")
    ).all()
    assert len(moderators) == 7
    assert len({c for c, _ in moderators}) == 7  # one per community
    assert len({u for _, u in moderators}) == 7  # seven different people
    # Every counter matches the memberships it counts.
    for community in db.session.scalars(select(Community)):
        assert community.member_count == db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.community_id == community.id)
        )


def test_demo_load_twice_says_it_is_already_loaded(cli, app):
    load_demo(app)
    before = (_count(User), _count(Membership), _count(Organisation))
    result = cli("demo", "load")
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    assert (_count(User), _count(Membership), _count(Organisation)) == before


def test_demo_load_refuses_a_database_with_other_accounts(cli):
    make_user(email="real.person@example.org")
    result = cli("demo", "load")
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "Error: This database already has 1 account;" in result.output
    assert "fresh" in result.output
    assert "Traceback" not in result.output
    assert _count(User) == 1
    assert _count(Membership) == 0


def test_a_demo_profile_shows_its_bio(app):
    load_demo(app)
    member = db.session.scalar(
        select(User).where(User.site_role == "member").order_by(User.id).limit(1)
    )
    client = Browser(app.test_client())
    client.login(ADMIN_EMAIL, DEMO_PASSWORD)
    html = client.get(f"/u/{member.id}").get_data(as_text=True)
    first = member.display_name.split()[0]
    assert f"{first} works at <strong>{member.organisation.name}</strong>." in html
    assert "<em>(A fictional demo member.)</em>" in html
