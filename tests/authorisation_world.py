"""The world the authorisation table runs in: every role as a member, and a target of each
kind for the routes and events to act on. Built through the real actions.

Communities: `open` (public) and `closed` (members-only), where the member, the suspended
member, the target's author and the moderator belong (the moderator moderates both), and
`elsewhere` (public), where the non-member belongs and the other moderator moderates.
Targets live in `open` unless their name says `closed`; they are written by `author`, a
member who is none of the roles, so that "member" is someone acting on another's content.
The world is built per test (the `app` fixture empties the tables after each): a few
seconds, so the tests that can share one run all roles in it.
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from community.accounts import actions as account_actions
from community.accounts import invitations
from community.accounts.models import Invitation, Organisation, User
from community.accounts.tokens import make_token
from community.chat import actions as chat_actions
from community.communities import actions as community_actions
from community.communities.models import Community
from community.db import atomic, utcnow
from community.digests.unsubscribe import token_for
from community.events import calendar_feeds
from community.events import rsvp as rsvp_actions
from community.events.models import EventRsvp
from community.extensions import db
from community.moderation import flags, warnings
from community.notifications.models import Notification
from community.resources import actions as resource_actions
from community.threads import actions as thread_actions
from community.threads.models import Post
from tests.factories import PASSWORD, join, make_event, make_user
from tests.resources.helpers import details, mp3_upload, pdf_upload

ROLES = (
    "anonymous",
    "unverified",
    "member",
    "nonmember",
    "suspended",
    "other_mod",
    "moderator",
    "admin",
)
OPEN, CLOSED, ELSEWHERE = "open", "closed", "elsewhere"
NAMES = {OPEN: "Open", CLOSED: "Zephyr", ELSEWHERE: "Elsewhere"}
# Words that only some roles may ever read, on any page: what is in the members-only
# community (its name too), and the titles of resources waiting for review.
SECRETS = {
    "Zephyr": {"member", "moderator", "admin"},
    "Quokka": {"moderator", "admin"},
}
_fresh = itertools.count(1)


def live(user_id: int) -> User:
    return db.session.get(User, user_id)


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)  # role (and "author", "admin2") -> id
    ids: dict[str, int | str] = field(default_factory=dict)  # target name -> id or token

    def __getattr__(self, name: str):
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None

    def user(self, role: str) -> User:
        return live(self.users[role])

    # Fresh targets, for rows that change or remove theirs.

    def fresh_thread(self, slug: str = OPEN) -> int:
        with atomic():
            thread = thread_actions.start_thread(
                self.user("author"), slug, title=f"Fresh thread {next(_fresh)}", body="Hello."
            )
            db.session.flush()
            return thread.id

    def fresh_post(self, slug: str = OPEN) -> int:
        with atomic():
            post = thread_actions.post_reply(
                self.user("author"), self.thread, body=f"Fresh reply {next(_fresh)}"
            )
            db.session.flush()
            return post.id

    def fresh_flagged_post(self) -> int:
        post_id = self.fresh_post()
        with atomic():
            flags.flag(self.user("member"), "post", post_id, reason="spam")
        return post_id

    def fresh_flagged_profile(self, *, admin: bool = False) -> int:
        """A fresh member's (or admin's) profile, flagged once by the member."""
        user_id = self.fresh_user(admin=admin)
        with atomic():
            flags.flag(self.user("member"), "profile", user_id, reason="offensive")
        return user_id

    def flagged_admin_profile(self) -> int:
        """The admin's own profile, flagged by the member (once, whichever row asks first)."""
        admin_id = self.users["admin"]
        if not flags.has_flagged(self.user("member"), "profile", admin_id):
            with atomic():
                flags.flag(self.user("member"), "profile", admin_id, reason="offensive")
        return admin_id

    def fresh_resource(self, *, published: bool = False) -> int:
        title = "Fresh resource" if published else "Quokka waiting"
        with atomic():
            resource = resource_actions.submit_resource(
                self.user("author"),
                details(title=f"{title} {next(_fresh)}", communities=[OPEN]),
                upload=pdf_upload(),
            )
            db.session.flush()
            if published:
                resource_actions.approve_resource(self.user("moderator"), resource.id)
            return resource.id

    def fresh_flagged_resource(self) -> int:
        resource_id = self.fresh_resource(published=True)
        with atomic():
            flags.flag(self.user("member"), "resource", resource_id, reason="spam")
        return resource_id

    def fresh_resource_elsewhere(self) -> int:
        """A resource the other moderator shared in `elsewhere` (published at once)."""
        with atomic():
            resource = resource_actions.submit_resource(
                self.user("other_mod"),
                details(title=f"Far resource {next(_fresh)}", communities=[ELSEWHERE]),
                upload=pdf_upload(),
            )
            db.session.flush()
            return resource.id

    def fresh_event(self, slug: str = OPEN) -> int:
        return make_event(self.user("moderator"), community=slug, title=f"Event {next(_fresh)}")

    def fresh_network_event(self) -> int:
        """A network-wide event (the second admin's: only admins organise them)."""
        return make_event(self.user("admin2"), community=None, title=f"Network {next(_fresh)}")

    def fresh_flagged_event(self, *, network: bool = False) -> int:
        event_id = self.fresh_network_event() if network else self.fresh_event()
        with atomic():
            flags.flag(self.user("member"), "event", event_id, reason="spam")
        return event_id

    def fresh_verify_token(self) -> str:
        user = make_user(f"Newcomer {next(_fresh)}", verified=False)
        return make_token("verify", {"uid": user.id, "email": user.email})

    def fresh_user(self, *, admin: bool = False, suspended: bool = False) -> int:
        user = make_user(f"Fresh {next(_fresh)}", admin=admin, communities=(OPEN,))
        if suspended:
            with atomic():
                account_actions.suspend_member(None, live(user.id), "Spam.")
        return user.id

    def fresh_pending_user(self) -> int:
        """An account waiting for an admin's approval."""
        user = make_user(f"Pending {next(_fresh)}")
        with atomic():
            live(user.id).awaiting_approval_since = utcnow()
        return user.id

    def fresh_unverified_user(self) -> int:
        return make_user(f"Unconfirmed {next(_fresh)}", verified=False).id

    def fresh_invitation(self) -> Invitation:
        with atomic():
            invitation = invitations.invite(self.user("admin2"), fresh_email())
        return invitation

    def fresh_user_email(self) -> str:
        """Someone in no community yet."""
        return make_user(f"Fresh {next(_fresh)}").email

    def fresh_moderator(self) -> int:
        user_id = self.fresh_user()
        with atomic():
            community_actions.add_moderator(self.user("admin2"), OPEN, email=live(user_id).email)
        return user_id

    def fresh_community(self) -> str:
        """A public community the moderator moderates."""
        slug = f"fresh-{next(_fresh)}"
        with atomic():
            community_actions.create_community(slug=slug, name=slug.capitalize())
        join(self.user("moderator"), slug)
        with atomic():
            community_actions.add_moderator(
                self.user("admin2"), slug, email=self.user("moderator").email
            )
        return slug

    def fresh_chat_message(self) -> int:
        """A message of the author's in the open community's room; its number."""
        with atomic():
            message, _ = chat_actions.send_message(
                self.user("author"), OPEN, body="Hello", client_id=f"fresh-{next(_fresh)}",
                rate_limited=False,
            )  # fmt: skip
            db.session.flush()
            return message.number

    def fresh_user_email_in(self, slug: str) -> str:
        return live(self.fresh_user()).email if slug == OPEN else self.fresh_user_email()

    def fresh_held_post(self) -> int:
        """A newcomer's first post, held in a fresh community the moderator moderates."""
        slug = self.fresh_community()
        with atomic():
            db.session.execute(
                update(Community).where(Community.slug == slug).values(hold_first_posts=1)
            )
        newcomer = make_user(f"Newcomer {next(_fresh)}", communities=(slug,))
        with atomic():
            thread = thread_actions.start_thread(
                live(newcomer.id), slug, title="Held question", body="Held words."
            )
            db.session.flush()
            return db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))

    def fresh_proposal(self) -> tuple[int, int]:
        """The author's proposed new version of a fresh published resource: (resource, it)."""
        resource_id = self.fresh_resource(published=True)
        with atomic():
            proposal = resource_actions.propose_version(
                self.user("author"), resource_id, details(title=f"Better {next(_fresh)}",
                communities=[OPEN]), upload=pdf_upload(),
            )  # fmt: skip
            db.session.flush()
            return resource_id, proposal.id

    def fresh_post_elsewhere_moderated(self) -> int:
        """The author's post in a fresh community the moderator moderates (for last rows:
        by then the moderator may have left `open`)."""
        slug = self.fresh_community()
        join(self.user("author"), slug)
        with atomic():
            thread = thread_actions.start_thread(
                self.user("author"), slug, title="Fresh words", body="Words."
            )
            db.session.flush()
            return db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))

    def fresh_warning(self) -> int:
        """A warning to the member about their reply (from the second admin: by the last
        rows the moderator may have left the community)."""
        with atomic():
            return warnings.warn(
                self.user("admin2"), "post", self.member_post, reason="Keep it civil."
            ).id

    def paths(self) -> dict:
        """What a row's path may name: the targets, and `user_<role>`."""
        return {**self.ids, **{f"user_{role}": uid for role, uid in self.users.items()}}

    def mute(self, role: str) -> None:
        """`role` muted in the open community's chat room (for the unmute rows)."""
        with atomic():
            chat_actions.mute(self.user("moderator"), OPEN, user_id=self.users[role], minutes=5)


def fresh_email() -> str:
    return f"fresh{next(_fresh)}@example.org"


def build_world() -> World:
    world = World()
    u = world.users
    with atomic():
        for slug, visibility in ((OPEN, "public"), (CLOSED, "members"), (ELSEWHERE, "public")):
            community_actions.create_community(slug=slug, name=NAMES[slug], visibility=visibility)
    u["admin"] = make_user("Ada Admin", admin=True).id
    u["admin2"] = make_user("Second Admin", admin=True).id
    for role, name in (("author", "Alice Author"), ("member", "Mo Member"),
                       ("suspended", "Sue Suspended"), ("moderator", "Max Moderator")):  # fmt: skip
        u[role] = make_user(name, communities=(OPEN,)).id
        with atomic():  # members-only: an admin adds them
            community_actions.add_member(world.user("admin"), CLOSED, email=world.user(role).email)
    u["nonmember"] = make_user("Nora Nonmember", communities=(ELSEWHERE,)).id
    u["other_mod"] = make_user("Otto Othermod", communities=(ELSEWHERE,)).id
    u["unverified"] = make_user("Una Unverified").id  # verified now, unverified once signed in
    with atomic():
        admin = world.user("admin")
        for slug in (OPEN, CLOSED):
            community_actions.add_moderator(admin, slug, email=world.user("moderator").email)
        community_actions.add_moderator(admin, ELSEWHERE, email=world.user("other_mod").email)
    _targets(world)
    return world


def _targets(world: World) -> None:
    ids = world.ids
    with atomic():
        author = world.user("author")
        thread = thread_actions.start_thread(author, OPEN, title="Open thread", body="First.")
        closed = thread_actions.start_thread(
            author, CLOSED, title="Zephyr thread", body="Zephyr hush."
        )
        elsewhere = thread_actions.start_thread(
            world.user("other_mod"), ELSEWHERE, title="Elsewhere thread", body="Far."
        )
        db.session.flush()
        ids["thread"], ids["closed_thread"] = thread.id, closed.id
        ids["elsewhere_thread"] = elsewhere.id
    with atomic():
        # A reply by the member to the author's thread: the author is notified; and one by
        # the author, so that the member (watching after replying) has a notification.
        reply = thread_actions.post_reply(world.user("member"), ids["thread"], body="Me too.")
        db.session.flush()
        ids["member_post"] = reply.id
    with atomic():
        post = thread_actions.post_reply(world.user("author"), ids["thread"], body="Thanks.")
        closed_post = thread_actions.post_reply(
            world.user("author"), ids["closed_thread"], body="Zephyr reply."
        )
        elsewhere_post = thread_actions.post_reply(
            world.user("other_mod"), ids["elsewhere_thread"], body="Further."
        )
        db.session.flush()
        ids["post"], ids["closed_post"] = post.id, closed_post.id
        ids["elsewhere_post"] = elsewhere_post.id
    ids["flagged_post"] = world.fresh_flagged_post()
    with atomic():
        chat_actions.send_message(
            world.user("author"), CLOSED, body="Zephyr chat.", client_id="closed-1"
        )
    with atomic():
        elsewhere_flagged = thread_actions.post_reply(
            world.user("other_mod"), ids["elsewhere_thread"], body="Buy now."
        )
        db.session.flush()
        ids["elsewhere_flagged_post"] = elsewhere_flagged.id
        flags.flag(world.user("nonmember"), "post", elsewhere_flagged.id, reason="spam")
    ids["resource"] = world.fresh_resource(published=True)
    ids["pending_resource"] = world.fresh_resource()
    with atomic():
        podcast = resource_actions.submit_resource(
            world.user("moderator"),
            details(title="An episode", kind="podcast", communities=[OPEN]),
            upload=mp3_upload(),
        )
        db.session.flush()
        ids["podcast"] = podcast.id
        organisation = Organisation(slug="newport-works", name="Newport Works")
        db.session.add(organisation)
        db.session.flush()
        ids["organisation"] = organisation.slug
    ids["event"] = world.fresh_event()
    ids["closed_event"] = make_event(
        world.user("moderator"), community=CLOSED, title="Zephyr meeting"
    )
    ids["flagged_event"] = world.fresh_flagged_event()
    ids["flagged_network_event"] = world.fresh_flagged_event(network=True)
    ids["hidden_event"] = world.fresh_flagged_event()
    with atomic():  # hidden by a moderator: out of everyone's view but theirs
        flags.decide(world.user("admin2"), "event", ids["hidden_event"], "hide")
    with atomic():
        closed_resource = resource_actions.submit_resource(
            world.user("moderator"),
            details(title="Zephyr toolkit", communities=[CLOSED]),
            upload=pdf_upload(),
        )
        db.session.flush()
        ids["closed_resource"] = closed_resource.id
    with atomic():
        rsvp_actions.rsvp(world.user("member"), ids["event"], "going")
    ids["past_event"] = make_event(
        world.user("moderator"),
        community=OPEN,
        title="Past event",
        starts_in=-timedelta(days=2),
        allow_past=True,
    )
    with atomic():  # the member went (answers close when an event starts: written directly)
        db.session.add(EventRsvp(event_id=ids["past_event"], user_id=world.users["member"],
                                 status="going"))  # fmt: skip
    ids["media"] = _media(world)
    for role in ROLES[1:]:
        ids[f"notification_{role}"] = _notification(world, role)
    with atomic():  # each role's own private calendar link
        for role in ROLES[1:]:
            ids[f"feed_token_{role}"] = calendar_feeds.make_feed(world.user(role)).token
    ids["unsubscribe_token"] = token_for(world.user("author"), "digest")
    author = world.user("author")
    ids["reset_token"] = make_token(
        "reset", {"uid": author.id, "pw": account_actions._password_fingerprint(author)}
    )
    with atomic():  # as if the author had asked to change their address
        live(author.id).pending_email = "alice@new.example.org"
    ids["email_token"] = make_token("email", {"uid": author.id, "email": "alice@new.example.org"})
    with atomic():
        tag = thread_actions.set_tags(author, ids["thread"], tags="budgets").tags[0]
        db.session.flush()
        ids["tag"] = tag.id


def _media(world: World) -> str:
    from community.media import actions as media_actions
    from tests.test_uploads import image_bytes

    with atomic():
        media = media_actions.save_image(
            world.user("author"), "pic.png", image_bytes("PNG"), purpose="post"
        )
        return media.sha256


def _notification(world: World, role: str) -> int:
    """A notification of `role`'s own (for the open rows: one's own opens, another's is
    missing)."""
    from community.notifications import actions as notification_actions

    with atomic():
        notification_actions.notify(
            world.users[role],
            "reply",
            actor=world.user("author"),
            community_id=None,
            target=("post", world.post),
            subject="A reply",
        )
        db.session.flush()
        return db.session.scalar(
            db.select(Notification.id)
            .where(Notification.user_id == world.users[role])
            .order_by(Notification.id.desc())
        )


__all__ = ["PASSWORD", "ROLES", "World", "build_world"]
