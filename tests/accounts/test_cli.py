"""`flask users …` and `flask orgs …`."""

from community.accounts import passwords
from community.accounts.models import Organisation
from community.extensions import db
from tests.accounts.conftest import reload
from tests.factories import make_user


def test_create_admin_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "Boss@Example.org", "--password-stdin", "--name", "Bo Ss"],
        input="a strong admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "boss@example.org is an admin." in result.output
    from community.accounts.actions import find_user_by_email

    user = find_user_by_email("boss@example.org")
    assert user.is_admin
    assert user.is_verified
    assert user.display_name == "Bo Ss"
    assert passwords.check_password(user.password_hash, "a strong admin password")


def test_create_admin_with_a_short_password_fails_cleanly(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "boss@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "Choose a password of at least 10 characters." in result.output
    assert "Traceback" not in result.output


def test_create_admin_promotes_an_existing_member_and_ends_their_sessions(app):
    member = make_user(email="member@example.org")
    generation = member.session_generation
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "member@example.org", "--password-stdin"],
        input="a new admin password\n",
    )
    assert result.exit_code == 0, result.output
    member = reload(member)
    assert member.is_admin
    assert member.session_generation == generation + 1


def test_orgs_add_and_list(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["orgs", "add", "Riverside Trust", "--kind", "NHS trust", "--region", "North West"]
    )
    assert result.exit_code == 0, result.output
    assert "added Riverside Trust (riverside-trust)" in result.output
    result = runner.invoke(args=["orgs", "add", "riverside trust"])
    assert result.exit_code == 1
    assert "already listed" in result.output
    result = runner.invoke(args=["orgs", "add", "Bad", "--website", "ftp://x"])
    assert result.exit_code == 1
    make_user(organisation=str(db.session.scalar(db.select(Organisation.id))))
    result = runner.invoke(args=["orgs", "list"])
    assert "riverside-trust" in result.output
    assert "    1  Riverside Trust" in result.output
