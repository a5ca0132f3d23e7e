"""Migration 0007_notification_targets carries notifications across: a post's, a resource's
and a chat mention's each get their target, their wording leaves the subject, old rows are
never mailed, and downgrading gives back the post ids and URLs."""

from sqlalchemy import text

from community.extensions import db
from tests import test_migrations
from tests.test_migrations import flask_db

empty_database = test_migrations.empty_database
fresh_app = test_migrations.fresh_app

NOW = "2026-12-01 10:00:00"


def sql(statement: str, **params):
    return db.session.execute(text(statement), params)


def _old_world():
    sql(
        "INSERT INTO community (id, slug, name, description, visibility, position, "
        "member_count, thread_count, post_count, created_at) "
        "VALUES (1, 'procurement', 'Procurement', '', 'public', 0, 0, 0, 0, :now)",
        now=NOW,
    )
    sql(
        'INSERT INTO "user" (id, email, display_name, sort_name, password_hash, '
        "organisation_other, bio, bio_html, timezone, site_role, digest_frequency, "
        "session_generation, created_at) VALUES (1, 'a@example.org', 'Ann', 'ann', 'x', '', "
        "'', '', 'Europe/London', 'member', 'weekly', 0, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO thread (id, community_id, title, slug, pinned, locked, post_count, "
        "last_number, last_post_at, created_at) "
        "VALUES (1, 1, 'Budgets', 'budgets', false, false, 1, 1, :now, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO post (id, thread_id, number, source, html, created_at) "
        "VALUES (7, 1, 1, 'Hi', '<p>Hi</p>', :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO chat_room (id, kind, target_id, last_number, created_at) "
        "VALUES (2, 'community', 1, 1, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO chat_message (id, room_id, number, client_id, body, html, created_at) "
        "SELECT 3, id, 1, 'c1', 'Hello', '<p>Hello</p>', :now FROM chat_room",
        now=NOW,
    )
    notes = [
        (1, "reply", 7, "/p/7", "Budgets"),
        (2, "resource_changes", None, "/resources/4", "Your resource needs changes: Toolkit"),
        (3, "chat_mention", None, "/chat/procurement#m1", "Ann mentioned you in the chat"),
        (4, "chat_mention", None, "/chat/procurement#m99", "A message since deleted"),
    ]
    for note_id, kind, post_id, url, subject in notes:
        sql(
            "INSERT INTO notification (id, user_id, kind, community_id, post_id, subject, "
            "excerpt, url, created_at) "
            "VALUES (:id, 1, :kind, 1, :post, :subject, '', :url, :now)",
            id=note_id, kind=kind, post=post_id, subject=subject, url=url, now=NOW,
        )  # fmt: skip
    db.session.commit()


def test_notifications_are_carried_to_their_targets_and_back(fresh_app):
    flask_db(fresh_app, "upgrade", "0006_chat_room_targets")
    _old_world()

    flask_db(fresh_app, "upgrade", "0007_notification_targets")
    rows = sql(
        "SELECT id, target_kind, target_id, subject, dedupe_key, email_state "
        "FROM notification ORDER BY id"
    ).all()
    assert [tuple(r) for r in rows] == [
        (1, "post", 7, "Budgets", "legacy:1", "skipped"),
        (2, "resource", 4, "Toolkit", "legacy:2", "skipped"),
        (3, "chat_message", 3, "Procurement", "legacy:3", "skipped"),
    ]  # the mention of a message that is gone led nowhere: deleted
    db.session.commit()

    flask_db(fresh_app, "downgrade", "0006_chat_room_targets")
    rows = sql("SELECT id, post_id, url FROM notification ORDER BY id").all()
    assert [tuple(r) for r in rows] == [
        (1, 7, "/p/7"),
        (2, None, "/resources/4"),
        (3, None, "/chat/procurement#m1"),
    ]
    db.session.commit()
    flask_db(fresh_app, "upgrade", "0007_notification_targets")
    assert sql("SELECT count(*) FROM notification").scalar() == 3
