"""`flask demo load` includes chat history in every community's room."""

from sqlalchemy import select

from community.chat.models import ChatMessage, ChatRoom
from community.db import utcnow
from community.extensions import db
from tests.conftest import load_demo


def test_the_demo_has_a_conversation_in_every_room(app):
    assert "chat messages in 7 rooms" in load_demo(app)
    rooms = db.session.scalars(
        select(ChatRoom).where(ChatRoom.kind == "community").order_by(ChatRoom.id)
    ).all()
    assert len(rooms) == 7
    for room in rooms:
        messages = db.session.scalars(
            select(ChatMessage).where(ChatMessage.room_id == room.id).order_by(ChatMessage.number)
        ).all()
        assert 8 <= len(messages) <= 12
        assert [m.number for m in messages] == list(range(1, len(messages) + 1))
        assert room.last_number == len(messages)
        times = [m.created_at for m in messages]
        assert times == sorted(times)
        assert times[-1] <= utcnow()
        assert room.last_message_at == times[-1]
        assert all(m.html.startswith("<p>") for m in messages)
