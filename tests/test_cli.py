"""The command line, through Flask's CLI runner: exit codes, messages, and what changed."""

import pytest
from sqlalchemy import func, select

from community.accounts import passwords
from community.accounts.models import Organisation, User
from community.communities.models import Community, Membership
from community.extensions import db
from community.moderation.models import AuditLog
from tests.factories import make_moderator, make_user

NEW_PASSWORD = "a long enough password"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        result = runner.invoke(args=list(args), input=input)
        db.session.rollback()  # see what the command committed (SQLite keeps snapshots)
        return result

    return invoke


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _role(user: User, slug: str) -> str | None:
    return db.session.scalar(
        select(Membership.role)
        .join(Community)
        .where(Membership.user_id == user.id, Community.slug == slug)
    )


def _assert_clean_error(result, message: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert "Traceback" not in result.output


# --- users ----------------------------------------------------------------------------------


def test_create_admin_makes_a_new_verified_admin_from_stdin(cli):
    result = cli(
        "users", "create-admin", "Root@Example.org", "--password-stdin", input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "root@example.org is an admin." in result.output
    user = _user("root@example.org")
    assert user.is_admin
    assert user.is_verified
    assert user.display_name == "root"  # the part before the @
    assert passwords.check_password(user.password_hash, NEW_PASSWORD)


def test_create_admin_accepts_a_windows_line_ending_and_a_name(cli):
    result = cli(
        "users",
        "create-admin",
        "ops@example.org",
        "--name",
        "Site Operations",
        "--password-stdin",
        input=NEW_PASSWORD + "\r\n",
    )
    assert result.exit_code == 0, result.output
    user = _user("ops@example.org")
    assert user.display_name == "Site Operations"
    assert passwords.check_password(user.password_hash, NEW_PASSWORD)


def test_create_admin_prompts_for_a_new_accounts_password(cli):
    result = cli(
        "users", "create-admin", "new@example.org", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert passwords.check_password(_user("new@example.org").password_hash, NEW_PASSWORD)


def test_create_admin_promotes_an_existing_member_keeping_their_password(cli):
    member = make_user(email="member@example.org")
    result = cli("users", "create-admin", "member@example.org")
    assert result.exit_code == 0, result.output
    assert "member@example.org is now an admin." in result.output
    user = db.session.get(User, member.id)
    assert user.is_admin
    assert passwords.check_password(user.password_hash, "correct horse battery")
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_admin_can_reset_an_existing_members_password(cli):
    member = make_user(email="member@example.org", verified=False)
    generation = member.session_generation
    result = cli(
        "users", "create-admin", "member@example.org", "--password-stdin", input=NEW_PASSWORD
    )
    assert result.exit_code == 0, result.output
    user = db.session.get(User, member.id)
    assert user.is_admin
    assert user.is_verified
    assert passwords.check_password(user.password_hash, NEW_PASSWORD)
    assert user.session_generation == generation + 1  # other sessions end


@pytest.mark.parametrize(
    ("email", "extra", "stdin", "message"),
    [
        ("root@example.org", [], "short\n", "Choose a password of at least 10 characters."),
        ("root@example.org", [], "\n", "Choose a password of at least 10 characters."),
        ("not-an-email", [], NEW_PASSWORD, "Enter a valid email address"),
        ("x@example.org", [], NEW_PASSWORD, "Give a display name with --name."),
    ],
)
def test_create_admin_refuses_bad_input_cleanly(cli, email, extra, stdin, message):
    result = cli("users", "create-admin", email, *extra, "--password-stdin", input=stdin)
    _assert_clean_error(result, message)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- organisations --------------------------------------------------------------------------


def test_orgs_add_and_list(cli):
    result = cli(
        "orgs",
        "add",
        "Northgate  Trust",
        "--kind",
        "development partnership",
        "--region",
        "North West",
        "--website",
        "https://northgate.example",
    )
    assert result.exit_code == 0, result.output
    assert "added Northgate Trust (northgate-trust)" in result.output
    org = db.session.scalar(select(Organisation).where(Organisation.slug == "northgate-trust"))
    assert (org.kind, org.region, org.website) == (
        "development partnership",
        "North West",
        "https://northgate.example",
    )
    make_user(organisation=str(org.id))
    listing = cli("orgs", "list")
    assert listing.exit_code == 0
    assert listing.output.split() == ["northgate-trust", "1", "Northgate", "Trust"]


def test_orgs_add_refuses_duplicates_and_bad_websites(cli):
    assert cli("orgs", "add", "Northgate Trust").exit_code == 0
    _assert_clean_error(
        cli("orgs", "add", "northgate trust"), "An organisation of that name is already listed."
    )
    _assert_clean_error(
        cli("orgs", "add", "Other Org", "--website", "javascript:alert(1)"),
        "A website address starts with http:// or https://.",
    )
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1


def test_orgs_list_on_an_empty_database_says_so(cli):
    result = cli("orgs", "list")
    assert result.exit_code == 0
    assert "No organisations yet" in result.output


# --- communities ----------------------------------------------------------------------------


def test_communities_list_shows_counts_and_moderators(cli, communities):
    make_moderator("finance", make_user(email="mod@example.org"))
    make_user(communities=("finance",))
    result = cli("communities", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [
        "business-support",
        "procurement",
        "finance",
        "impact-measurement",
        "workforce-development",
        "health",
        "equal-learning-network",
    ]
    assert "finance" in lines[2]
    assert "2 members" in lines[2]
    assert "mod@example.org" in lines[2]
    assert "no moderators" in lines[0]


def test_add_and_remove_a_moderator_from_the_command_line(cli, communities):
    user = make_user(email="tomos@example.org")
    result = cli("communities", "add-moderator", "finance", "Tomos@Example.org")
    assert result.exit_code == 0, result.output
    assert "tomos@example.org moderates finance." in result.output
    assert _role(user, "finance") == "moderator"
    assert db.session.scalar(select(Community.member_count).where(Community.slug == "finance")) == 1

    result = cli("communities", "remove-moderator", "finance", "tomos@example.org")
    assert result.exit_code == 0, result.output
    assert "no longer moderates finance" in result.output
    assert _role(user, "finance") == "member"

    audit = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(a.action, a.actor_id, a.detail) for a in audit] == [
        ("community.add_moderator", None, {"user_id": user.id}),
        ("community.remove_moderator", None, {"user_id": user.id}),
    ]


def test_moderator_commands_fail_cleanly(cli, communities):
    make_user(email="tomos@example.org")
    _assert_clean_error(
        cli("communities", "add-moderator", "finance", "nobody@example.org"),
        "No account uses that email address.",
    )
    _assert_clean_error(
        cli("communities", "add-moderator", "nowhere", "tomos@example.org"),
        "We could not find the community “nowhere”.",
    )
    _assert_clean_error(
        cli("communities", "remove-moderator", "finance", "tomos@example.org"),
        "That member is not a moderator here.",
    )
    _assert_clean_error(
        cli("communities", "remove-moderator", "finance", "nobody@example.org"),
        "No account uses that email address.",
    )
    assert cli("communities", "add-moderator", "finance", "tomos@example.org").exit_code == 0
    _assert_clean_error(
        cli("communities", "add-moderator", "finance", "tomos@example.org"),
        "is already a moderator.",
    )
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 1
