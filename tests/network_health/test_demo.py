"""`flask demo load` ends with the health rollup, so /admin/health shows the demo's
figures at once, and they agree with the tables."""

from sqlalchemy import func, select

from community.extensions import db
from community.network_health.models import HealthDay, HealthState
from community.threads.models import Post
from tests.conftest import load_demo


def test_the_demo_is_counted_by_the_rollup(app):
    load_demo(app)
    assert db.session.get(HealthState, 1).refreshed_at is not None
    counted = db.session.scalar(
        select(func.coalesce(func.sum(HealthDay.value), 0)).where(
            HealthDay.metric.in_(("threads", "posts"))
        )
    )
    assert counted > 0
    assert counted <= db.session.scalar(select(func.count()).select_from(Post))
