"""Reading the rollup: the figures of a range of days, week by week (weeks start on
Monday; the first and last weeks are cut to the range), per community and per
organisation. Every query reads only the rollup tables (plus the names), grouped in SQL."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, case, cast, func, literal_column, select

from ..accounts.models import Organisation, User
from ..communities.models import Community
from ..db import utcnow
from ..extensions import db
from .models import HealthActive, HealthDay, HealthPair
from .rollup import ACTIVE_WEEK, ACTIVE_WEEK_ORG, ALL_COMMUNITIES, METRICS

DEFAULT_WEEKS = 12
MAX_DAYS = 366 * 5

NO_COMMUNITY = "No community (network-wide)"
NO_ORGANISATION = "No listed organisation"
MEMBERS_ONLY = "Members-only communities"

# The figures, in the order the pages show them: (key, label).
FIGURES = (
    ("active_members", "Active members"),
    ("new_members", "New members"),
    ("threads", "Threads started"),
    ("posts", "Replies"),
    ("chat_messages", "Chat messages"),
    ("resources_published", "Resources published"),
    ("resource_downloads", "Resource downloads"),
    ("event_attendance", "Event attendance"),
    ("event_feedback", "Event feedback given"),
)
FIGURE_LABELS = dict(FIGURES)


@dataclass(frozen=True)
class Range:
    first: date
    last: date

    @property
    def origin(self) -> date:
        """The Monday of the first week."""
        return self.first - timedelta(days=self.first.weekday())

    @property
    def weeks(self) -> list[date]:
        """The Mondays of the weeks in the range."""
        count = (self.last - self.origin).days // 7 + 1
        return [self.origin + timedelta(weeks=i) for i in range(count)]

    def week_label(self, index: int) -> str:
        return f"{max(self.weeks[index], self.first):%-d %b %Y}"


def default_range(today: date) -> Range:
    """Twelve weeks: the eleven before this one, and this one so far."""
    this_monday = today - timedelta(days=today.weekday())
    return Range(this_monday - timedelta(weeks=DEFAULT_WEEKS - 1), today)


def _week_index(column, origin: date):
    # The origin is written into the SQL (a date we made, never typed): PostgreSQL must see
    # the same expression in the columns and in the GROUP BY.
    seven = literal_column("7", Integer)
    if db.session.get_bind().dialect.name == "postgresql":
        # date - date: whole days, as an integer; // : integer division
        return cast(column - literal_column(f"DATE '{origin.isoformat()}'"), Integer) // seven
    days = func.julianday(column) - func.julianday(literal_column(f"'{origin.isoformat()}'"))
    return cast(days / seven, Integer)


def _in(model, rng: Range):
    return (model.day >= rng.first, model.day <= rng.last)


@dataclass
class Figures:
    """Everything the pages show for a range."""

    rng: Range
    communities: dict[int, str]  # id -> name shown (0: none)
    organisations: dict[int, str]
    # (figure, week index, community id) -> value; active members per week and community
    weekly: dict[tuple[str, int, int], int] = field(default_factory=dict)
    # (figure, week index) -> the network's value (active members: distinct, not summed)
    network_weekly: dict[tuple[str, int], int] = field(default_factory=dict)
    # (figure, community) over the whole range (active: distinct members)
    by_community: dict[tuple[str, int], int] = field(default_factory=dict)
    by_organisation: dict[tuple[str, int], int] = field(default_factory=dict)
    org_weekly: dict[tuple[str, int, int], int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    exchanges: dict[tuple[str, int], int] = field(default_factory=dict)  # (kind, week)
    pairs: list[tuple[int, int, int, int]] = field(default_factory=list)  # low, high, r, c

    def week_values(self, figure: str) -> list[int]:
        return [self.network_weekly.get((figure, i), 0) for i in range(len(self.rng.weeks))]

    def average_rating(self, count: int, total: int) -> str:
        return f"{total / count:.2f}" if count else ""


def figures(
    rng: Range, *, pairs: int = 10, public_communities_only: bool = False, org_weeks: bool = False
) -> Figures:
    """The figures of `rng`; `org_weeks`: per organisation week by week too (the CSV's: the
    pages show organisations over the whole range, and these cost a scan more)."""
    communities = _community_names(public_communities_only)
    result = Figures(rng, communities, {})
    week = _week_index(HealthDay.day, rng.origin)
    rows = db.session.execute(
        select(week, HealthDay.metric, HealthDay.community_id, func.sum(HealthDay.value))
        .where(*_in(HealthDay, rng), HealthDay.metric.in_(METRICS))
        .group_by(week, HealthDay.metric, HealthDay.community_id)
    )
    fold = _folder(communities)
    for index, metric, community_id, value in rows:
        key = (metric, int(index), fold(community_id))
        result.weekly[key] = result.weekly.get(key, 0) + int(value)
        net = (metric, int(index))
        result.network_weekly[net] = result.network_weekly.get(net, 0) + int(value)
        per = (metric, fold(community_id))
        result.by_community[per] = result.by_community.get(per, 0) + int(value)
        result.totals[metric] = result.totals.get(metric, 0) + int(value)
    if org_weeks:
        grouping, org_week = (week, HealthDay.metric, HealthDay.organisation_id), week
    else:
        grouping, org_week = (HealthDay.metric, HealthDay.organisation_id), literal_column("0")
    for index, metric, org_id, value in db.session.execute(
        select(org_week, HealthDay.metric, HealthDay.organisation_id, func.sum(HealthDay.value))
        .where(*_in(HealthDay, rng), HealthDay.metric.in_(METRICS))
        .group_by(*grouping)
    ):
        if org_weeks:
            result.org_weekly[(metric, int(index), org_id)] = int(value)
        key = (metric, org_id)
        result.by_organisation[key] = result.by_organisation.get(key, 0) + int(value)
    _active(result, fold, org_weeks)
    _exchanges(result, pairs)
    org_ids = {org for _m, org in result.by_organisation} | {o for p in result.pairs for o in p[:2]}
    result.organisations = _organisation_names(org_ids)
    return result


def _folder(communities: dict[int, str]):
    """Community ids as shown: those not listed (members-only, on the public page) fold
    into one line, -1."""
    return lambda community_id: community_id if community_id in communities else -1


def _active(result: Figures, fold, org_weeks: bool) -> None:
    """Active members: whole weeks from the rollup's weekly counts, the cut weeks at the
    range's ends from HealthActive (a few days), the range's totals from HealthActive."""
    rng = result.rng
    today = utcnow().date()
    whole, cut = {}, []
    for index, monday in enumerate(rng.weeks):
        sunday = monday + timedelta(days=6)
        if monday >= rng.first and min(sunday, max(today, monday)) <= rng.last:
            whole[monday] = index
        else:
            cut.append((index, Range(max(monday, rng.first), min(sunday, rng.last))))
    metrics = (ACTIVE_WEEK, ACTIVE_WEEK_ORG) if org_weeks else (ACTIVE_WEEK,)
    if whole:
        for day, metric, community_id, org_id, value in db.session.execute(
            select(HealthDay.day, HealthDay.metric, HealthDay.community_id,
                   HealthDay.organisation_id, HealthDay.value)
            .where(HealthDay.metric.in_(metrics), HealthDay.day.in_(list(whole)))
        ):  # fmt: skip
            _add_week(result, fold, whole[day], metric, community_id, org_id, value)
    org = func.coalesce(User.organisation_id, literal_column("0"))
    distinct = func.count(HealthActive.user_id.distinct())
    for index, days in cut:
        where = _in(HealthActive, days)
        for community_id, count in db.session.execute(
            select(HealthActive.community_id, distinct)
            .where(*where)
            .group_by(HealthActive.community_id)
        ):
            _add_week(result, fold, index, ACTIVE_WEEK, community_id, 0, count)
        count = db.session.scalar(select(distinct).where(*where)) or 0
        _add_week(result, fold, index, ACTIVE_WEEK, ALL_COMMUNITIES, 0, count)
        if org_weeks:
            for org_id, count in db.session.execute(
                select(org, distinct)
                .join(User, User.id == HealthActive.user_id)
                .where(*where)
                .group_by(org)
            ):
                _add_week(result, fold, index, ACTIVE_WEEK_ORG, ALL_COMMUNITIES, org_id, count)
    where = _in(HealthActive, rng)
    for community_id, count in db.session.execute(
        select(HealthActive.community_id, distinct)
        .where(*where)
        .group_by(HealthActive.community_id)
    ):
        key = ("active_members", fold(community_id))
        result.by_community[key] = result.by_community.get(key, 0) + count
    # Each member once, then by organisation: their sum is the range's total.
    members = select(HealthActive.user_id.label("user_id")).where(*where).distinct().subquery()
    total = 0
    for org_id, count in db.session.execute(
        select(org, func.count()).select_from(members)
        .join(User, User.id == members.c.user_id)
        .group_by(org)
    ):  # fmt: skip
        result.by_organisation[("active_members", org_id)] = count
        total += count
    result.totals["active_members"] = total


def _add_week(result: Figures, fold, index, metric, community_id, org_id, value) -> None:
    if metric == ACTIVE_WEEK_ORG:
        result.org_weekly[("active_members", index, org_id)] = value
    elif community_id == ALL_COMMUNITIES:
        result.network_weekly[("active_members", index)] = value
    else:
        # Folded communities: a member active in two of them counts in each (an upper bound).
        key = ("active_members", index, fold(community_id))
        result.weekly[key] = result.weekly.get(key, 0) + value


def _exchanges(result: Figures, limit: int) -> None:
    rng = result.rng
    week = _week_index(HealthPair.day, rng.origin)
    for index, kind, value in db.session.execute(
        select(week, HealthPair.kind, func.sum(HealthPair.value))
        .where(*_in(HealthPair, rng))
        .group_by(week, HealthPair.kind)
    ):
        result.exchanges[(kind, int(index))] = int(value)
    replies = func.sum(case((HealthPair.kind == "reply", HealthPair.value), else_=0))
    chats = func.sum(case((HealthPair.kind == "chat", HealthPair.value), else_=0))
    total = func.sum(HealthPair.value)
    result.pairs = [
        (low, high, int(r), int(c))
        for low, high, r, c in db.session.execute(
            select(HealthPair.org_low, HealthPair.org_high, replies, chats)
            .where(*_in(HealthPair, rng))
            .group_by(HealthPair.org_low, HealthPair.org_high)
            .order_by(total.desc(), HealthPair.org_low, HealthPair.org_high)
            .limit(limit)
        )
    ]


def _community_names(public_only: bool) -> dict[int, str]:
    query = select(Community.id, Community.name).order_by(Community.position, Community.name)
    if public_only:
        query = query.where(Community.visibility == "public")
    names = dict(db.session.execute(query).all())
    names[0] = NO_COMMUNITY
    if public_only:
        names[-1] = MEMBERS_ONLY
    return names


def _organisation_names(ids: set[int]) -> dict[int, str]:
    names = {0: NO_ORGANISATION}
    wanted = [i for i in ids if i]
    if wanted:
        names.update(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
            ).all()
        )
    for i in wanted:  # an organisation since merged (the next run recounts): still a line
        names.setdefault(i, f"Organisation {i} (since merged)")
    return names
