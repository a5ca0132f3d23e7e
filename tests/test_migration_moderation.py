"""Migration 0009_moderation carries the audit trail across: class names become target
kinds, each entry gets the community its target belongs to where that can be found, and
downgrading gives back the class names."""

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
    for community_id, slug, position in ((1, "procurement", 1), (2, "finance", 0)):
        sql(
            "INSERT INTO community (id, slug, name, description, visibility, position, "
            "member_count, thread_count, post_count, created_at) "
            "VALUES (:id, :slug, :slug, '', 'public', :position, 0, 0, 0, :now)",
            id=community_id, slug=slug, position=position, now=NOW,
        )  # fmt: skip
    sql(
        'INSERT INTO "user" (id, email, display_name, sort_name, password_hash, '
        "organisation_other, bio, bio_html, timezone, site_role, digest_frequency, "
        "session_generation, created_at) VALUES (1, 'a@example.org', 'Ann', 'ann', 'x', '', "
        "'', '', 'Europe/London', 'admin', 'weekly', 0, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO thread (id, community_id, title, slug, pinned, locked, post_count, "
        "last_number, last_post_at, created_at) "
        "VALUES (5, 1, 'Budgets', 'budgets', false, false, 1, 1, :now, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO post (id, thread_id, number, source, html, created_at) "
        "VALUES (7, 5, 2, 'Hi', '<p>Hi</p>', :now)",
        now=NOW,
    )
    sql("INSERT INTO tag (id, community_id, name, slug) VALUES (3, 1, 'money', 'money')")
    sql(
        "INSERT INTO chat_room (id, kind, target_id, last_number, created_at) "
        "VALUES (4, 'community', 1, 0, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO resource (id, title, sort_title, summary, summary_html, kind, status, "
        "featured, date_precision, licence, availability_note, download_count, "
        "version_count, created_at, updated_at) VALUES (6, 'Toolkit', 'toolkit', '', '', "
        "'toolkit', 'published', false, '', 'unknown', '', 0, 0, :now, :now)",
        now=NOW,
    )
    # In both communities: the first by position (Finance) is its home.
    for community_id in (1, 2):
        sql("INSERT INTO resource_community (resource_id, community_id) VALUES (6, :c)",
            c=community_id)  # fmt: skip
    entries = [
        (1, "community.add_member", "community", 1),
        (2, "thread.pin", "thread", 5),
        (3, "post.delete", "post", 7),
        (4, "tag.rename", "tag", 3),
        (5, "chat.mute", "chatroom", 4),
        (6, "resource.approve", "resource", 6),
        (7, "member.suspend", "user", 1),
        (8, "thread.delete", "thread", 99),  # a thread since removed
    ]
    for entry_id, action, target_type, target_id in entries:
        sql(
            "INSERT INTO audit_log (id, actor_id, action, target_type, target_id, detail, "
            "created_at) VALUES (:id, 1, :action, :type, :target, '{}', :now)",
            id=entry_id, action=action, type=target_type, target=target_id, now=NOW,
        )  # fmt: skip
    db.session.commit()


def test_audit_entries_get_their_kind_and_community_and_go_back(fresh_app):
    flask_db(fresh_app, "upgrade", "0008_jobs")
    _old_world()

    flask_db(fresh_app, "upgrade", "0009_moderation")
    rows = sql("SELECT id, target_kind, target_id, community_id FROM audit_log ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (1, "community", 1, 1),
        (2, "thread", 5, 1),
        (3, "post", 7, 1),
        (4, "tag", 3, 1),
        (5, "chat_room", 4, 1),
        (6, "resource", 6, 2),
        (7, "member", 1, None),
        (8, "thread", 99, None),
    ]
    db.session.commit()

    flask_db(fresh_app, "downgrade", "0008_jobs")
    rows = sql("SELECT id, target_type FROM audit_log ORDER BY id").all()
    assert [r.target_type for r in rows] == [
        "community", "thread", "post", "tag", "chatroom", "resource", "user", "thread",
    ]  # fmt: skip
    db.session.commit()
    flask_db(fresh_app, "upgrade", "0009_moderation")
    assert sql("SELECT count(*) FROM audit_log WHERE community_id IS NOT NULL").scalar() == 6
