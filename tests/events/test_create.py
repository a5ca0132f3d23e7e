"""Creating events: who may, what is checked, and how typed times are stored."""

from datetime import datetime, timedelta

import pytest

from community.db import atomic
from community.errors import Forbidden, Invalid
from community.events import actions
from community.events.models import Event
from community.events.rules import to_local
from community.extensions import db
from community.moderation.models import AuditLog
from tests.factories import make_event


def wall(*parts: int) -> datetime:
    """A wall-clock time as a form gives it (naive: its zone is the event's)."""
    return datetime(*parts)  # noqa: DTZ001


def details(**changes) -> actions.EventDetails:
    starts = wall(2030, 7, 1, 10, 0)
    values = dict(
        title="Procurement working group",
        starts=starts,
        ends=starts + timedelta(hours=2),
        timezone="Europe/London",
        community="procurement",
        location="Civic Centre, Newport",
    )
    values.update(changes)
    return actions.EventDetails(**values)


def create(user, **changes) -> Event:
    with atomic():
        return actions.create_event(user, details(**changes))


def test_a_moderator_creates_an_event_of_their_community(mod):
    event = create(mod, description="Bring *tenders*.")
    assert event.community.slug == "procurement"
    assert event.organiser_id == mod.id
    assert event.description_html == "<p>Bring <em>tenders</em>.</p>"
    assert db.session.query(AuditLog).filter_by(action="event.create").count() == 1


@pytest.mark.parametrize(("month", "utc_hour"), [(7, 9), (1, 10)], ids=["summer", "winter"])
def test_times_typed_in_london_are_stored_in_utc(mod, month, utc_hour):
    starts = wall(2031, month, 14, 10, 0)
    event = create(mod, starts=starts, ends=starts + timedelta(hours=1))
    assert event.starts_at == wall(2031, month, 14, utc_hour, 0)
    assert to_local(event.starts_at, event.timezone).hour == 10


def test_only_admins_create_network_wide_events(mod, admin):
    with pytest.raises(Forbidden):
        create(mod, community=None)
    assert create(admin, community=None).community_id is None


def test_members_and_other_moderators_may_not_create_events(alice, mod):
    with pytest.raises(Forbidden):
        create(alice)
    with pytest.raises(Forbidden):
        create(mod, community="finance")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"ends": wall(2030, 7, 1, 9, 0)}, "ends"),
        ({"starts": wall(2001, 1, 1, 10), "ends": wall(2001, 1, 1, 11)}, "starts"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"location": "", "join_url": "ftp://example.org/x"}, "join_url"),
        ({"location": "", "join_url": "javascript:alert(1)"}, "join_url"),
        ({"location": "", "join_url": "http://[::1"}, "join_url"),
        ({"location": "", "join_url": None}, "location"),
        ({"rsvp_deadline": wall(2030, 7, 2, 10, 0)}, "deadline"),
    ],
)
def test_bad_input_is_refused_with_its_field(mod, changes, field):
    with pytest.raises(Invalid) as refused:
        create(mod, **changes)
    assert refused.value.field == field
    assert db.session.query(Event).count() == 0


def test_the_factory_makes_an_event_through_the_action(mod):
    event = db.session.get(Event, make_event(mod, capacity=3))
    assert event.capacity == 3
