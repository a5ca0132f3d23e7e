"""Presence deltas are batched per room (community/chat/presence.py, PresenceChanges): who a
window's batch names, in which state, and when it is sent."""

import pytest

from community.chat.presence import PresenceChanges

ADA = {"id": 1, "name": "Ada"}
BOB = {"id": 2, "name": "Bob"}


class Recorder:
    """A PresenceChanges whose store is a dict, whose sends are recorded and whose scheduled
    flushes run when the test says."""

    def __init__(self, window: float):
        self.here: dict[int, set[int]] = {}
        self.sent: list[tuple[int, dict]] = []
        self.scheduled: list[tuple] = []
        self.changes = PresenceChanges(
            window,
            present=lambda room_id: sorted(self.here.get(room_id, set())),
            send=lambda room_id, batch: self.sent.append((room_id, batch)),
            schedule=lambda fn, delay: self.scheduled.append((fn, delay)),
        )

    def join(self, room_id: int, member: dict) -> None:
        self.here.setdefault(room_id, set()).add(member["id"])
        self.changes.add(room_id, f"room-{room_id}", member)

    def leave(self, room_id: int, member: dict) -> None:
        self.here[room_id].discard(member["id"])
        self.changes.add(room_id, f"room-{room_id}", member)

    def run_scheduled(self) -> None:
        scheduled, self.scheduled = self.scheduled, []
        for fn, _delay in scheduled:
            fn()


def test_a_window_of_changes_goes_out_as_one_batch_per_room():
    r = Recorder(1.0)
    r.join(7, ADA)
    r.join(7, BOB)
    r.join(8, BOB)
    r.leave(8, BOB)
    assert r.sent == []
    assert [delay for _fn, delay in r.scheduled] == [1.0]  # one flush for the whole window
    r.run_scheduled()
    assert r.sent == [
        (7, {"room": "room-7", "joined": [ADA, BOB], "left": []}),
        (8, {"room": "room-8", "joined": [], "left": [BOB]}),
    ]
    r.leave(7, ADA)  # the next window starts a new batch
    assert len(r.scheduled) == 1
    r.run_scheduled()
    assert r.sent[-1] == (7, {"room": "room-7", "joined": [], "left": [ADA]})


def test_a_member_who_changed_is_sent_in_their_state_at_the_end_of_the_window():
    """A reload (left, joined) still names the member, as there: a client that joined in
    between, and was told who was there then, learns they are back."""
    r = Recorder(1.0)
    r.join(7, BOB)
    r.run_scheduled()
    r.leave(7, BOB)
    r.join(7, ADA)
    r.join(7, BOB)
    r.run_scheduled()
    assert r.sent[-1] == (7, {"room": "room-7", "joined": [BOB, ADA], "left": []})


def test_the_store_decides_when_processes_report_in_another_order():
    """Scaled out, another process may record a change this one reports: the batch says what
    the shared store says when it is sent, not what this process saw last."""
    r = Recorder(1.0)
    r.here[7] = {ADA["id"]}
    r.changes.add(7, "room-7", ADA)  # this process saw her leave; she is back elsewhere
    r.run_scheduled()
    assert r.sent == [(7, {"room": "room-7", "joined": [ADA], "left": []})]


def test_window_zero_sends_each_change_at_once():
    r = Recorder(0)
    r.join(7, ADA)
    assert r.sent == [(7, {"room": "room-7", "joined": [ADA], "left": []})]
    assert r.scheduled == []


def test_a_failing_room_does_not_lose_the_others_or_stop_later_batches(caplog):
    r = Recorder(1.0)
    failing = r.changes._send

    def send(room_id, batch):
        if room_id == 7:
            raise ConnectionError("message queue down")
        failing(room_id, batch)

    r.changes._send = send
    r.join(7, ADA)
    r.join(8, BOB)
    r.run_scheduled()
    assert r.sent == [(8, {"room": "room-8", "joined": [BOB], "left": []})]
    assert "presence batch for room 7 failed" in caplog.text
    r.join(8, ADA)
    assert len(r.scheduled) == 1  # batching goes on


def test_a_schedule_that_fails_does_not_stop_batching():
    r = Recorder(1.0)

    def refuse(_fn, _delay):
        raise RuntimeError("no background task")

    r.changes._schedule = refuse
    with pytest.raises(RuntimeError):
        r.join(7, ADA)
    r.changes._schedule = lambda fn, delay: r.scheduled.append((fn, delay))
    r.join(7, BOB)
    assert len(r.scheduled) == 1
    r.run_scheduled()
    assert r.sent == [(7, {"room": "room-7", "joined": [ADA, BOB], "left": []})]
