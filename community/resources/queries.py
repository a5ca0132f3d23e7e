"""Reads of the resource bank: browsing with filters and sorts, featured resources, the
review queue, and the threads that discuss a resource."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, select, true, tuple_

from ..accounts.models import Organisation, User
from ..communities.access import readable_filter
from ..communities.models import Community, Membership
from ..extensions import db
from ..pagination import Page, decode_cursor, page_of
from ..threads.models import Post, PostLink, Thread
from .models import (
    KINDS,
    PROPOSAL_OPEN,
    VISIBLE_TO_READERS,
    Resource,
    ResourceCommunity,
    ResourceProposal,
    ResourceTag,
)

PAGE_SIZE = 20
SORTS = {"newest": "Newest", "downloads": "Most downloaded", "title": "Title"}
_NO_DATE = date(1, 1, 1)  # undated resources sort after every dated one


@dataclass
class Filters:
    kind: str | None = None
    community_id: int | None = None
    organisation_id: int | None = None
    year: int | None = None
    tag: str | None = None  # a tag slug
    archived: bool = False  # the archived resources instead of the published ones
    sort: str = "newest"


def _in_readable_community(user: User | None, community_id: int | None = None):
    """A WHERE clause: the resource is in a community the user may read (and in
    `community_id`, when given). Archived communities are read-only, still readable."""
    stmt = (
        select(ResourceCommunity.resource_id)
        .join(Community, Community.id == ResourceCommunity.community_id)
        .where(
            ResourceCommunity.resource_id == Resource.id,
            readable_filter(user),
        )
    )
    if community_id is not None:
        stmt = stmt.where(ResourceCommunity.community_id == community_id)
    return stmt.exists()


def _sort_columns(sort: str):
    if sort == "downloads":
        return (Resource.download_count.desc(), Resource.id.desc()), (int, int)
    if sort == "title":
        return (Resource.sort_title.asc(), Resource.id.asc()), (str, int)
    dated = func.coalesce(Resource.published_on, _NO_DATE)
    return (dated.desc(), Resource.id.desc()), (str, int)


def _after(stmt, sort: str, cursor: list):
    if sort == "downloads":
        count, last_id = cursor
        return stmt.where(tuple_(Resource.download_count, Resource.id) < tuple_(count, last_id))
    if sort == "title":
        return stmt.where(tuple_(Resource.sort_title, Resource.id) > tuple_(*cursor))
    try:
        when = date.fromisoformat(cursor[0])
    except ValueError:
        return stmt
    dated = func.coalesce(Resource.published_on, _NO_DATE)
    return stmt.where(tuple_(dated, Resource.id) < tuple_(when, cursor[1]))


def _key(sort: str):
    if sort == "downloads":
        return lambda r: [r.download_count, r.id]
    if sort == "title":
        return lambda r: [r.sort_title, r.id]
    return lambda r: [(r.published_on or _NO_DATE).isoformat(), r.id]


def browse(user: User | None, filters: Filters, *, after: str | None = None) -> Page:
    """Published (or, on request, archived) resources in view that the user may see,
    filtered and sorted, keyset-paginated."""
    sort = filters.sort if filters.sort in SORTS else "newest"
    status = "archived" if filters.archived else "published"
    stmt = select(Resource).where(
        Resource.in_view((status,)), _in_readable_community(user, filters.community_id)
    )
    if filters.kind in KINDS:
        stmt = stmt.where(Resource.kind == filters.kind)
    if filters.organisation_id is not None:
        stmt = stmt.where(Resource.organisation_id == filters.organisation_id)
    if filters.year is not None:
        stmt = stmt.where(
            Resource.published_on >= date(filters.year, 1, 1),
            Resource.published_on < date(filters.year + 1, 1, 1),
        )
    if filters.tag:
        stmt = stmt.where(
            exists().where(ResourceTag.resource_id == Resource.id, ResourceTag.slug == filters.tag)
        )
    order, types = _sort_columns(sort)
    cursor = decode_cursor(after, types)
    if cursor is not None:
        stmt = _after(stmt, sort, cursor)
    rows = list(db.session.scalars(stmt.order_by(*order).limit(PAGE_SIZE + 1)))
    return page_of(rows, PAGE_SIZE, _key(sort))


def featured(user: User | None, *, community_id: int | None = None, limit: int = 6):
    """Featured published resources the user may see, newest first."""
    stmt = (
        select(Resource)
        .where(
            Resource.in_view(),
            Resource.featured.is_(True),
            _in_readable_community(user, community_id),
        )
        .order_by(Resource.published_at.desc(), Resource.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _curated_by(user: User, community_id: int | None = None):
    """A WHERE clause: the resource is one the user curates (admins: all; moderators: those
    in a live community they moderate), and in `community_id` when given."""
    if user.is_admin and community_id is None:
        return true()
    stmt = (
        select(ResourceCommunity.resource_id)
        .join(Community, Community.id == ResourceCommunity.community_id)
        .where(ResourceCommunity.resource_id == Resource.id)
    )
    if not user.is_admin:
        stmt = stmt.join(
            Membership, Membership.community_id == ResourceCommunity.community_id
        ).where(
            Membership.user_id == user.id,
            Membership.role == "moderator",
            Community.archived_at.is_(None),
        )
    if community_id is not None:
        stmt = stmt.where(ResourceCommunity.community_id == community_id)
    return stmt.exists()


def awaiting_review(
    user: User | None, *, community_id: int | None = None, limit: int = 100
) -> list[Resource]:
    """Pending resources the user curates (admins: all of them), oldest first."""
    if user is None or not user.is_authenticated:
        return []
    stmt = select(Resource).where(Resource.status == "pending", _curated_by(user, community_id))
    return list(db.session.scalars(stmt.order_by(Resource.created_at, Resource.id).limit(limit)))


def proposals_awaiting_review(
    user: User | None, *, community_id: int | None = None, limit: int = 100
) -> list[ResourceProposal]:
    """Pending proposed versions of resources the user curates, oldest first."""
    if user is None or not user.is_authenticated:
        return []
    stmt = (
        select(ResourceProposal)
        .join(Resource, Resource.id == ResourceProposal.resource_id)
        .where(ResourceProposal.status == "pending", _curated_by(user, community_id))
        .order_by(ResourceProposal.submitted_at, ResourceProposal.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def review_count(user: User | None) -> int:
    """How many submissions and proposed versions wait for the user's review (the header's
    count): counted in the database, not loaded."""
    if user is None or not user.is_authenticated:
        return 0
    pending = select(func.count(Resource.id)).where(
        Resource.status == "pending", _curated_by(user, None)
    )
    proposed = (
        select(func.count(ResourceProposal.id))
        .join(Resource, Resource.id == ResourceProposal.resource_id)
        .where(ResourceProposal.status == "pending", _curated_by(user, None))
    )
    return db.session.scalar(pending) + db.session.scalar(proposed)


@dataclass
class ReviewItem:
    """One entry of the review queue: a submission, or a proposed version of a resource."""

    resource: Resource
    proposal: ResourceProposal | None = None

    @property
    def waiting_since(self) -> datetime:
        return self.proposal.submitted_at if self.proposal else self.resource.created_at


def review_queue(user: User | None, *, community_id: int | None = None) -> list[ReviewItem]:
    """What waits for the user's review, oldest first: pending submissions and proposed
    versions, in the communities they moderate (admins: all; `community_id`: that one)."""
    items = [ReviewItem(r) for r in awaiting_review(user, community_id=community_id)]
    items += [
        ReviewItem(p.resource, p)
        for p in proposals_awaiting_review(user, community_id=community_id)
    ]
    return sorted(items, key=lambda i: i.waiting_since)


def proposals_by(user: User, *, limit: int = 100) -> list[ResourceProposal]:
    """The member's proposed versions still open (waiting, or sent back), newest first."""
    stmt = (
        select(ResourceProposal)
        .where(ResourceProposal.proposer_id == user.id, ResourceProposal.status.in_(PROPOSAL_OPEN))
        .order_by(ResourceProposal.submitted_at.desc(), ResourceProposal.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def latest_proposal(resource: Resource) -> ResourceProposal | None:
    """The resource's latest proposed version (its page shows it to whom may see it)."""
    return db.session.scalar(
        select(ResourceProposal)
        .where(ResourceProposal.resource_id == resource.id)
        .order_by(ResourceProposal.id.desc())
        .limit(1)
    )


def submitted_by(user: User, *, limit: int = 100) -> list[Resource]:
    """The member's own submissions that are not (or not yet) published, newest first."""
    stmt = (
        select(Resource)
        .where(
            Resource.submitter_id == user.id,
            Resource.status.in_(("pending", "changes_requested", "rejected")),
        )
        .order_by(Resource.updated_at.desc(), Resource.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def discussed_in(user: User | None, resource: Resource, *, limit: int = 20) -> list[Thread]:
    """Live threads the user may read whose live posts link to the resource, latest first
    (its own discussion thread is shown apart)."""
    linking = (
        select(PostLink.thread_id)
        .join(Post, Post.id == PostLink.post_id)
        .where(
            PostLink.target_kind == "resource",
            PostLink.target_id == resource.id,
            Post.in_view(),
        )
    )
    stmt = (
        select(Thread)
        .join(Community, Community.id == Thread.community_id)
        .where(
            Thread.id.in_(linking),
            Thread.in_view(),
            readable_filter(user),
        )
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    if resource.thread_id is not None:
        stmt = stmt.where(Thread.id != resource.thread_id)
    return list(db.session.scalars(stmt))


def resource_discussed_by(thread: Thread) -> Resource | None:
    """The resource whose discussion this thread is, if any."""
    return db.session.scalars(select(Resource).where(Resource.thread_id == thread.id)).first()


def filter_choices(user: User | None) -> dict:
    """What the browse filters offer: organisations and years that have listed resources,
    and the most used tags."""
    visible = select(Resource.id).where(
        Resource.in_view(VISIBLE_TO_READERS), _in_readable_community(user)
    )
    organisations = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.id.in_(select(Resource.organisation_id).where(Resource.id.in_(visible)))
        )
        .order_by(Organisation.name)
    )
    year = func.extract("year", Resource.published_on)
    years = db.session.scalars(
        select(year)
        .where(Resource.id.in_(visible), Resource.published_on.is_not(None))
        .group_by(year)
        .order_by(year.desc())
    )
    tags = db.session.execute(
        select(ResourceTag.slug, func.min(ResourceTag.name), func.count())
        .where(ResourceTag.resource_id.in_(visible))
        .group_by(ResourceTag.slug)
        .order_by(func.count().desc(), ResourceTag.slug)
        .limit(40)
    )
    return {
        "organisations": list(organisations),
        "years": [int(y) for y in years],
        "tags": [(slug, name) for slug, name, _count in tags],
    }


def podcast_episodes(community: Community, *, limit: int = 100) -> list[Resource]:
    """The community's published podcasts that have an audio file, newest first."""
    stmt = (
        select(Resource)
        .join(ResourceCommunity, ResourceCommunity.resource_id == Resource.id)
        .where(
            ResourceCommunity.community_id == community.id,
            Resource.in_view(),
            Resource.kind == "podcast",
            Resource.version_count > 0,
        )
        .order_by(Resource.published_at.desc(), Resource.id.desc())
        .limit(limit)
    )
    episodes = list(db.session.scalars(stmt))
    return [r for r in episodes if r.latest_version and r.latest_version.file_kind == "audio"]


def latest_posts(thread: Thread, limit: int = 10) -> list[Post]:
    """The thread's latest live posts, oldest of them first (a resource page's discussion)."""
    stmt = (
        select(Post)
        .where(Post.thread_id == thread.id, Post.in_view())
        .order_by(Post.number.desc())
        .limit(limit)
    )
    return list(reversed(db.session.scalars(stmt).all()))


def of_organisation(user: User | None, organisation_id: int, *, limit: int = 10) -> list[Resource]:
    """The organisation page: published resources the user may see that the organisation
    published or one of its members shared, newest first."""
    members = select(User.id).where(User.organisation_id == organisation_id)
    stmt = (
        select(Resource)
        .where(
            Resource.in_view(),
            (Resource.organisation_id == organisation_id) | Resource.submitter_id.in_(members),
            _in_readable_community(user),
        )
        .order_by(Resource.published_at.desc(), Resource.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
