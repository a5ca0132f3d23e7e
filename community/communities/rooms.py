"""The chat rooms of communities: kind "community", named by the community's slug.

Who may use one: signed-in members who may read the community (public communities:
everyone signed in; members-only: their members and admins) read it; its members who are not
suspended write in it (unless muted there); its moderators and the admins moderate it.
"""

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from .. import signals
from ..accounts.models import User
from ..chat.access import Decision, Header, create_room, register_room_kind
from ..errors import Forbidden
from ..extensions import db
from . import access, actions
from .models import Community, Membership

KIND = "community"


class CommunityRooms:
    prefix = ""

    def query(self, user: User, key: str):
        if not actions.SLUG_RE.fullmatch(key):
            return None
        stmt = (
            select(Community, Membership)
            .outerjoin(
                Membership,
                (Membership.community_id == Community.id) & (Membership.user_id == user.id),
            )
            .where(Community.slug == key)
            .options(lazyload(Membership.user))
        )
        return stmt, Community.id

    def decide(self, user: User, row) -> Decision | None:
        community, member = row
        if not access.may_read(user, community, member):
            return None
        try:
            access.check_may_post(user, community, member)
        except Forbidden as exc:
            problem = exc.message
        else:
            problem = None
        return Decision(problem, access.moderates(user, member), community_id=community.id)

    def title(self, community: Community) -> str:
        return community.name

    def header(self, user: User, community: Community) -> Header:
        from .queries import moderators_of

        return Header(
            community.name,
            url_for("communities.show", slug=community.slug),
            template="communities/_header.html",
            context={
                "community": community,
                "membership": access.membership(user, community),
                "moderators": moderators_of(community),
                "can_manage": access.is_moderator(user, community),
            },
        )

    def names(self, target_ids: list[int]) -> dict[int, str]:
        rows = db.session.execute(
            select(Community.id, Community.slug).where(Community.id.in_(target_ids))
        )
        return {target_id: slug for target_id, slug in rows}

    def followed(self, user: User):
        """The communities whose rooms count for the member's unread marks: their own."""
        return select(Membership.community_id).where(Membership.user_id == user.id)

    def community_of(self, target_id: int) -> int:
        return target_id


register_room_kind(KIND, CommunityRooms())


def _create_room(_app, *, community: Community, **_) -> None:
    """community_created: a community has its room from the start (a read never makes one)."""
    create_room(KIND, community.id)


def connect(app: Flask) -> None:
    signals.connect(app, (signals.community_created, _create_room))
