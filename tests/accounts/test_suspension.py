"""Suspending and unsuspending members site-wide, and registration's equal work."""

from datetime import timedelta

import pytest

from community.accounts import actions, passwords
from community.accounts.jobs import lift_lapsed_suspensions
from community.accounts.models import User, UserSession
from community.db import atomic, utcnow
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.moderation.models import AuditLog
from tests.accounts.conftest import is_signed_in, reload
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user


def audit(action: str) -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(db.select(AuditLog).where(AuditLog.action == action)))


def open_sessions(user: User) -> list[UserSession]:
    db.session.rollback()
    return list(
        db.session.scalars(
            db.select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
    )


def suspend(actor, member, reason="Repeated spam.", until=None):
    with atomic():
        actor = db.session.get(User, actor.id) if actor is not None else None
        return actions.suspend_member(actor, db.session.get(User, member.id), reason, until)


def test_an_admin_suspends_a_member_who_is_told_and_signed_out(app, outbox):
    admin, member = make_user("Site Admin", admin=True), make_user("Sam Member")
    device = Browser(app.test_client())
    device.login(member.email, remember=True)
    assert len(open_sessions(member)) == 1
    until = utcnow().date() + timedelta(days=7)
    suspend(admin, member, "Repeated spam.", until)

    member = reload(member)
    assert member.is_suspended
    assert member.suspension_reason == "Repeated spam."
    assert member.suspended_until.date() == until
    assert open_sessions(member) == []
    assert not is_signed_in(device.client)
    [row] = audit("member.suspend")
    assert (row.actor_id, row.target_id) == (admin.id, member.id)
    assert row.detail == {"reason": "Repeated spam.", "until": until.isoformat()}
    [mail] = [m for m in outbox.to(member.email) if "suspended" in m["Subject"]]
    text = outbox.text(mail)
    assert "Repeated spam." in text
    assert until.isoformat() in text
    response = device.submit("/auth/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)


def test_only_admins_suspend_with_a_reason_and_a_future_end(app):
    admin, member, other = make_user(admin=True), make_user(), make_user()
    with pytest.raises(Forbidden):
        suspend(other, member)
    with pytest.raises(Forbidden):
        suspend(admin, admin)
    with pytest.raises(Invalid) as exc:
        suspend(admin, member, "  ")
    assert exc.value.field == "reason"
    with pytest.raises(Invalid) as exc:
        suspend(admin, member, until=utcnow().date())
    assert exc.value.field == "until"
    assert not reload(member).is_suspended
    assert audit("member.suspend") == []


def test_unsuspending_lets_the_member_sign_in_again(app, outbox):
    admin, member = make_user(admin=True), make_user()
    suspend(admin, member)
    with atomic():
        actions.unsuspend_member(db.session.get(User, admin.id), db.session.get(User, member.id))
    member = reload(member)
    assert member.suspended_at is None
    assert member.suspension_reason == ""
    assert [r.actor_id for r in audit("member.unsuspend")] == [admin.id]
    assert any("no longer suspended" in m["Subject"] for m in outbox.to(member.email))
    Browser(app.test_client()).login(member.email)
    with pytest.raises(Invalid), atomic():
        actions.unsuspend_member(None, db.session.get(User, member.id))


def test_a_suspension_with_an_end_date_lapses_by_itself(app):
    admin, member = make_user(admin=True), make_user()
    suspend(admin, member, until=utcnow().date() + timedelta(days=1))
    device = Browser(app.test_client())
    response = device.submit("/auth/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 403
    with atomic():  # the day comes
        db.session.get(User, member.id).suspended_until = utcnow() - timedelta(minutes=1)
    assert not reload(member).is_suspended
    device.login(member.email)  # the sign-in check does not wait for the job
    assert is_signed_in(device.client)
    assert lift_lapsed_suspensions() == 1
    assert reload(member).suspended_at is None
    [row] = audit("member.unsuspend")
    assert row.actor_id is None
    assert row.detail == {"lapsed": True}
    assert lift_lapsed_suspensions() == 0


def test_the_members_commands_suspend_and_unsuspend(app, outbox):
    member = make_user(email="sam@example.org")
    device = Browser(app.test_client())
    device.login(member.email)
    runner = app.test_cli_runner()
    until = (utcnow().date() + timedelta(days=3)).isoformat()
    result = runner.invoke(
        args=["members", "suspend", "Sam@Example.org", "--reason", "Abuse.", "--until", until]
    )
    assert result.exit_code == 0, result.output
    assert f"sam@example.org is suspended until {until}" in result.output
    assert reload(member).is_suspended
    assert not is_signed_in(device.client)
    assert [r.actor_id for r in audit("member.suspend")] == [None]

    for args, message in (
        (["members", "suspend", "sam@example.org", "--reason", "x", "--until", "soon"], "YYYY"),
        (["members", "suspend", "nobody@example.org", "--reason", "x"], "No account"),
        (["members", "suspend", "sam@example.org"], "--reason"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0, result.output
        assert message in result.output

    result = runner.invoke(args=["members", "unsuspend", "sam@example.org"])
    assert result.exit_code == 0, result.output
    assert not reload(member).is_suspended
    result = runner.invoke(args=["members", "unsuspend", "sam@example.org"])
    assert result.exit_code == 1
    assert "not suspended" in result.output


def test_registration_hashes_the_password_whether_or_not_the_address_is_taken(app, monkeypatch):
    make_user(email="taken@example.org")
    hashed = []
    real = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or real(p))
    for email in ("taken@example.org", "new@example.org"):
        with atomic():
            actions.register(
                email=email,
                display_name="Someone",
                password="a long enough password",
                organisation="other",
                organisation_other="Org",
            )
    assert hashed == ["a long enough password", "a long enough password"]
