"""Helpers for the thread and notification tests: set-up through the real actions."""

import re
from html import unescape

from sqlalchemy import func, select

from community.accounts.models import User
from community.communities.models import Community
from community.db import atomic, utcnow
from community.extensions import db
from community.moderation.models import AuditLog
from community.notifications.models import Notification
from community.threads import actions
from community.threads.models import Post, Thread
from tests.conftest import Browser


def fresh() -> None:
    """End the test's read transaction, so the next read sees what others committed."""
    db.session.rollback()


def live(user: User) -> User:
    """The member as a User of the current session (actions get real, attached objects)."""
    return db.session.get(User, user.id)


def start(
    user: User,
    slug: str = "procurement",
    *,
    title: str = "Social value in tenders",
    body: str = "How do you score social value?",
    tags: str | list[str] = "",
    client_token: str | None = None,
) -> int:
    """Start a thread as `user`; its id."""
    with atomic():
        thread = actions.start_thread(
            live(user), slug, title=title, body=body, tags=tags, client_token=client_token
        )
        return thread.id


def reply(user: User, thread_id: int, body: str = "A reply.", **kwargs) -> int:
    with atomic():
        return actions.post_reply(live(user), thread_id, body=body, **kwargs).id


def thread(thread_id: int) -> Thread:
    fresh()
    return db.session.get(Thread, thread_id)


def post(post_id: int) -> Post:
    fresh()
    return db.session.get(Post, post_id)


def first_post_id(thread_id: int) -> int:
    fresh()
    return db.session.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.number == 1))


def community(slug: str) -> Community:
    fresh()
    return db.session.scalar(select(Community).where(Community.slug == slug))


def numbers(thread_id: int) -> list[int]:
    fresh()
    return list(
        db.session.scalars(
            select(Post.number).where(Post.thread_id == thread_id).order_by(Post.number)
        )
    )


def audit(action: str) -> list[AuditLog]:
    fresh()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def notifications(user: User) -> list[tuple[str, int | None]]:
    """(kind, post_id) of every notification the member has, oldest first."""
    fresh()
    rows = db.session.execute(
        select(Notification.kind, Notification.target_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    )
    return [tuple(r) for r in rows]


def notification_count() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(Notification))


def suspend(user: User) -> None:
    with atomic():
        live(user).suspended_at = utcnow()


def make_private(slug: str) -> None:
    with atomic():
        db.session.scalar(select(Community).where(Community.slug == slug)).visibility = "members"


def signed_in(app, user: User) -> Browser:
    """A browser of its own (own cookie jar) signed in as `user`."""
    browser = Browser(app.test_client())
    browser.login(user.email)
    return browser


def csrf(browser: Browser, url: str = "/") -> str:
    """A CSRF token from any form on the page (every token of the session is valid)."""
    html = browser.get(url).get_data(as_text=True)
    for tag in re.findall(r"<input[^>]*>", html):
        if 'name="csrf_token"' in tag:
            return re.search(r'value="([^"]+)"', tag).group(1)
    raise AssertionError(f"no CSRF token on {url}")


def send(browser: Browser, url: str, data: dict | None = None, *, token_page: str = "/", **kw):
    """POST a form with the session's CSRF token, as a browser would."""
    return browser.client.post(
        url, data={"csrf_token": csrf(browser, token_page), **(data or {})}, **kw
    )


def text_of(html: str) -> str:
    """The page's visible text: tags removed, entities decoded, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form_value(html: str, name: str) -> str:
    """The value of a form's input or textarea named `name`, decoded."""
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    if textarea:
        # WTForms starts a textarea with a newline, which browsers drop.
        return re.sub(r"^\r?\n", "", unescape(textarea.group(1)))
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no field {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""
