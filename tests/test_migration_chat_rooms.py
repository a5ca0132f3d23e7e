"""Migration 0006_chat_room_targets carries rooms across: each becomes its community's
(kind "community"), communities without one get one, and downgrading gives back the
name/community_id rooms with their messages."""

from sqlalchemy import text

from community.extensions import db
from tests import test_migrations
from tests.test_migrations import flask_db

# The fixtures of the migration tests: a never-migrated database of each backend, its app.
empty_database = test_migrations.empty_database
fresh_app = test_migrations.fresh_app

NOW = "2026-12-01 10:00:00"


def sql(statement: str, **params):
    return db.session.execute(text(statement), params)


def test_rooms_are_carried_to_their_targets_and_back(fresh_app):
    flask_db(fresh_app, "upgrade", "0004_chat")
    for i, slug in enumerate(("finance", "health", "procurement"), start=1):
        sql(
            "INSERT INTO community (id, slug, name, description, visibility, position, "
            "member_count, thread_count, post_count, created_at) "
            "VALUES (:id, :slug, :slug, '', 'public', 0, 0, 0, 0, :now)",
            id=i, slug=slug, now=NOW,
        )  # fmt: skip
    # finance has a room with a message (made on first use, as before); the others none.
    sql(
        "INSERT INTO chat_room (id, name, community_id, last_number, created_at) "
        "VALUES (5, 'finance', 1, 1, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO chat_message (room_id, number, client_id, body, html, created_at) "
        "VALUES (5, 1, 'c1', 'Hello', '<p>Hello</p>', :now)",
        now=NOW,
    )
    db.session.commit()

    flask_db(fresh_app, "upgrade", "0006_chat_room_targets")
    rooms = sql("SELECT id, kind, target_id, last_number FROM chat_room ORDER BY target_id")
    rows = [tuple(r) for r in rooms]
    assert rows[0] == (5, "community", 1, 1)  # the old room, its id and numbering kept
    assert [r[1:] for r in rows[1:]] == [("community", 2, 0), ("community", 3, 0)]
    assert sql("SELECT room_id, body FROM chat_message").all() == [(5, "Hello")]
    # A room of another kind (an event's, later), with a message: the old schema has no
    # place for it, so the downgrade removes it and its message.
    sql(
        "INSERT INTO chat_room (id, kind, target_id, last_number, created_at) "
        "VALUES (9, 'event', 1, 1, :now)",
        now=NOW,
    )
    sql(
        "INSERT INTO chat_message (room_id, number, client_id, body, html, created_at) "
        "VALUES (9, 1, 'e1', 'At the event', '<p>At the event</p>', :now)",
        now=NOW,
    )
    db.session.commit()

    flask_db(fresh_app, "downgrade", "0004_chat")
    rooms = sql("SELECT id, name, community_id FROM chat_room ORDER BY community_id").all()
    assert rooms[0] == (5, "finance", 1)
    assert [r[1:] for r in rooms[1:]] == [("health", 2), ("procurement", 3)]
    assert sql("SELECT room_id, body FROM chat_message").all() == [(5, "Hello")]
    db.session.commit()

    flask_db(fresh_app, "upgrade", "0006_chat_room_targets")
    count = sql("SELECT count(*) FROM chat_room WHERE kind = 'community'").scalar()
    assert count == 3
