"""Flags on profiles: members flag a member's bio and picture; three flags hide them
everywhere (the name stays: it signs the member's posts); only an admin, never the member,
decides: restore, hide, or "delete", which clears the bio and picture and keeps the account.
"""

import re

import pytest
from sqlalchemy import select

from community.accounts import actions as accounts
from community.accounts.flaggable import flag_state
from community.db import atomic
from community.errors import Conflict, Forbidden, NotFound
from community.extensions import db
from community.media import actions as media
from community.moderation import flags, queue
from community.moderation.models import AuditLog, Flag
from community.moderation.queries import recent_audit
from community.notifications.models import Notification
from community.threads.models import Post
from tests.factories import make_user
from tests.test_uploads import image_bytes
from tests.threads.helpers import fresh, live, signed_in, start

BIO = "I sell **miracle cures** at cheap-pills.example"


@pytest.fixture(scope="session")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("profile-uploads")


@pytest.fixture
def app_settings(upload_dir):
    return {"UPLOAD_DIR": str(upload_dir)}


@pytest.fixture
def bea(communities):
    """A member of Procurement with a bio and a picture: the profile that gets flagged."""
    user = make_user("Bea Builder", email="bea@example.org", communities=("procurement",))
    with atomic():
        me = live(user)
        accounts.update_profile(
            me, me.id, display_name=me.display_name, organisation="other",
            organisation_other="Builders Ltd", bio=BIO, timezone="Europe/London",
        )  # fmt: skip
        media.set_avatar(me, "me.png", image_bytes("PNG"))
    return live(user)


@pytest.fixture
def admin(communities):
    return make_user("Ada Admin", email="ada@example.org", admin=True)


def flag(user, user_id, reason="offensive"):
    with atomic():
        return flags.flag(live(user), "profile", user_id, reason=reason)


def decide(user, user_id, decision):
    with atomic():
        return flags.decide(live(user), "profile", user_id, decision)


def hide_by_flags(flaggers, user_id):
    for member in flaggers:
        flag(member, user_id)


def profile_of(user):
    fresh()
    return live(user)


def notices(user) -> list[Notification]:
    fresh()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def picture_url(user) -> str:
    return f"/media/{user.avatar_sha256}"


# --- flagging -------------------------------------------------------------------------------


def test_three_flags_hide_a_profile_and_tell_its_member(bea, flaggers, admin):
    flag(flaggers[0], bea.id)
    flag(flaggers[1], bea.id, "spam")
    assert profile_of(bea).profile_hidden_at is None
    flag(flaggers[2], bea.id)
    hidden = profile_of(bea)
    assert hidden.profile_hidden_at is not None
    assert hidden.profile_hidden_reason == "flags"
    assert hidden.bio == BIO  # hidden, not changed
    fresh()
    assert set(db.session.scalars(select(Flag.community_id))) == {None}
    [notice] = [n for n in notices(bea) if n.kind == "flag.hidden"]
    assert notice.subject == "your profile"
    assert notice.url == f"/u/{bea.id}"
    assert notice.excerpt == "Flagged as: offensive or abusive, spam or advertising"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "flag.hide"))
    assert (entry.target_kind, entry.target_id, entry.community_id) == ("profile", bea.id, None)
    [logged] = [e for e in recent_audit() if e.action == "flag.hide"]
    assert logged.text == (
        "Commons hid the bio and picture of Bea Builder when 3 members had flagged it"
    )


def test_who_may_not_flag_a_profile(bea, flaggers):
    with pytest.raises(Forbidden, match="This is yours"):
        flag(bea, bea.id)
    flag(flaggers[0], bea.id)
    with pytest.raises(Conflict, match="flagged this already"):
        flag(flaggers[0], bea.id)
    with pytest.raises(NotFound):
        flag(flaggers[0], 999_999)
    unconfirmed = make_user("Una Unconfirmed", verified=False)
    with pytest.raises(Forbidden, match="Confirm your email"):
        flag(unconfirmed, bea.id)
    hide_by_flags(flaggers[1:], bea.id)
    newcomer = make_user("Ned Newcomer")
    with pytest.raises(NotFound):  # hidden: nothing of it left to flag
        flag(newcomer, bea.id)


# --- the queue: admins only -------------------------------------------------------------------


def test_profile_flags_wait_for_admins_never_for_community_moderators(bea, flaggers, admin, mod):
    flag(flaggers[0], bea.id)
    [waiting] = queue.waiting(live(admin))
    assert (waiting.item.kind, waiting.item.title) == ("profile", "the profile of Bea Builder")
    assert waiting.item.excerpt == "I sell miracle cures at cheap-pills.example"
    assert queue.waiting(live(mod)) == []
    assert queue.waiting_count(live(admin)) == 1
    assert queue.waiting_count(live(mod)) == 0
    with pytest.raises(Forbidden):
        decide(mod, bea.id, "hide")
    assert queue.waiting_count(live(admin)) == 1


def test_the_header_counts_profile_flags_for_admins_only(app, bea, flaggers, admin, mod):
    flag(flaggers[0], bea.id)
    as_admin = signed_in(app, admin)
    assert 'data-waiting-count data-count="1"' in as_admin.get("/").get_data(as_text=True)
    page = as_admin.get("/mod").get_data(as_text=True)
    assert "The profile of Bea Builder" in page
    assert "Across the network" in page
    as_mod = signed_in(app, mod)
    assert 'data-waiting-count data-count="0" hidden' in as_mod.get("/").get_data(as_text=True)
    assert "Bea Builder" not in as_mod.get("/mod").get_data(as_text=True)
    refused = as_mod.submit("/settings", {}, action=f"/mod/profile/{bea.id}/hide")
    assert refused.status_code == 403
    assert profile_of(bea).profile_hidden_at is None


def test_the_queue_offers_to_clear_a_profile_not_to_delete_it(app, bea, flaggers, admin):
    flag(flaggers[0], bea.id)
    page = signed_in(app, admin).get("/mod").get_data(as_text=True)
    assert f'action="/mod/profile/{bea.id}/delete"' in page
    assert "Clear its bio and picture" in page
    assert "Delete it" not in page


def test_an_admins_profile_is_decided_by_another_admin_only(app, communities, flaggers, admin, mod):
    second = make_user("Sid Second", admin=True)
    flag(flaggers[0], admin.id)
    own = signed_in(app, admin).get("/mod").get_data(as_text=True)
    assert "The profile of Ada Admin" in own
    assert "This is your own profile: another admin decides on it." in own
    assert f'action="/mod/profile/{admin.id}/keep"' not in own
    theirs = signed_in(app, second).get("/mod").get_data(as_text=True)
    assert f'action="/mod/profile/{admin.id}/keep"' in theirs
    with pytest.raises(Forbidden):
        decide(mod, admin.id, "hide")
    with pytest.raises(Forbidden, match="your own profile: another admin decides"):
        decide(admin, admin.id, "keep")
    decide(second, admin.id, "hide")
    assert profile_of(admin).profile_hidden_reason == "moderator"


def test_a_community_moderator_still_decides_on_an_admins_post(communities, flaggers, mod):
    """Only profiles refuse their own: an admin's post is its community's to moderate."""
    thread = start(make_user("Ann Admin", admin=True, communities=("procurement",)))
    fresh()
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread))
    with atomic():
        flags.flag(live(flaggers[0]), "post", post_id, reason="spam")
    [waiting] = queue.waiting(live(mod))
    assert waiting.refusal is None
    with atomic():
        flags.decide(live(mod), "post", post_id, "hide")


# --- hidden everywhere ----------------------------------------------------------------------


def test_a_hidden_profile_shows_its_name_only(app, client, bea, flaggers, reader, admin):
    thread = start(bea, title="Builders wanted", body="Who builds?")
    picture = picture_url(bea)
    as_reader = signed_in(app, reader)
    assert BIO.split("**")[1] in as_reader.get(f"/u/{bea.id}").get_data(as_text=True)
    assert picture in as_reader.get(f"/t/{thread}").get_data(as_text=True)
    hide_by_flags(flaggers, bea.id)

    page = as_reader.get(f"/u/{bea.id}").get_data(as_text=True)
    assert "Bea Builder" in page
    assert "This profile is hidden while a moderator reviews it" in page
    assert "miracle cures" not in page
    assert picture not in page
    for surface in (f"/t/{thread}", "/members?q=Bea", "/c/procurement/members"):
        shown = as_reader.get(surface).get_data(as_text=True)
        assert "Bea Builder" in shown, surface
        assert picture not in shown, surface
        assert re.search(r'<span class="avatar avatar-\d[^"]*" aria-hidden="true">BB</span>', shown)
    assert as_reader.get(picture).status_code == 404
    assert client.get(picture).status_code == 404  # a visitor

    as_admin = signed_in(app, admin)
    page = as_admin.get(f"/u/{bea.id}").get_data(as_text=True)
    assert "miracle cures" in page
    assert picture in page
    assert "Hidden from members after members flagged it" in page
    assert 'href="/mod?kind=profile"' in page
    assert f'action="/mod/profile/{bea.id}/keep"' in page  # restore it from here
    assert as_admin.get(picture).status_code == 200

    as_bea = signed_in(app, bea)
    page = as_bea.get(f"/u/{bea.id}").get_data(as_text=True)
    assert "Your profile is hidden while a moderator reviews it" in page
    assert "miracle cures" in page
    assert as_bea.get(picture).status_code == 200
    assert "Your profile is hidden" in as_bea.get("/settings").get_data(as_text=True)


def test_restoring_brings_the_profile_back(app, bea, flaggers, reader, admin):
    hide_by_flags(flaggers, bea.id)
    decide(admin, bea.id, "keep")
    restored = profile_of(bea)
    assert restored.profile_hidden_at is None
    assert restored.profile_hidden_reason == ""
    as_reader = signed_in(app, reader)
    page = as_reader.get(f"/u/{bea.id}").get_data(as_text=True)
    assert "miracle cures" in page
    assert picture_url(bea) in page
    assert as_reader.get(picture_url(bea)).status_code == 200
    kept = [n for m in flaggers for n in notices(m) if n.kind == "flag.decided.keep"]
    assert [n.subject for n in kept] == ["the profile of Bea Builder"] * 3
    assert queue.waiting(live(admin)) == []


def test_deleting_clears_the_bio_and_picture_and_keeps_the_account(app, bea, flaggers, admin):
    picture = picture_url(bea)
    hide_by_flags(flaggers, bea.id)
    decide(admin, bea.id, "delete")
    cleared = profile_of(bea)
    assert (cleared.bio, cleared.bio_html, cleared.avatar_sha256) == ("", "", None)
    assert cleared.profile_hidden_at is None  # nothing left to hide
    assert cleared.display_name == "Bea Builder"
    assert cleared.verified_at is not None
    assert cleared.suspended_at is None
    [told] = [n for n in notices(bea) if n.kind == "profile.cleared"]
    assert (told.phrase, told.subject) == ("cleared the bio and picture of", "your profile")
    [heard, *_] = [n for n in notices(flaggers[0]) if n.kind.startswith("flag.decided")]
    assert heard.phrase == "reviewed your flag and cleared"
    [logged] = [e for e in recent_audit() if e.action == "flag.delete"]
    assert logged.text == (
        "Ada Admin deleted the bio and picture of Bea Builder (flagged by 3 members)"
    )
    assert queue.waiting(live(admin)) == []
    as_bea = signed_in(app, bea)
    assert picture not in as_bea.get(f"/u/{bea.id}").get_data(as_text=True)


# --- the profile page -------------------------------------------------------------------------


def test_flagging_from_the_profile_page(app, bea, flaggers):
    link = f'href="/flag/profile/{bea.id}"'
    as_bea = signed_in(app, bea)
    assert link not in as_bea.get(f"/u/{bea.id}").get_data(as_text=True)  # not one's own
    as_fay = signed_in(app, flaggers[0])
    page = as_fay.get(f"/u/{bea.id}").get_data(as_text=True)
    assert link in page
    assert "Flag this profile" in page
    form = as_fay.get(f"/flag/profile/{bea.id}").get_data(as_text=True)
    assert "Flag the profile of Bea Builder" in form
    assert "The site&#39;s admins will look at it" in form
    done = as_fay.submit(f"/flag/profile/{bea.id}", {"reason": "spam", "note": ""})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/u/{bea.id}"
    page = as_fay.get(f"/u/{bea.id}").get_data(as_text=True)
    assert link not in page
    assert "You flagged this" in page
    again = as_fay.submit("/settings", {"reason": "spam"}, action=f"/flag/profile/{bea.id}")
    assert again.status_code == 409
    assert as_fay.get("/flag/profile/999999").status_code == 404
    as_bea = signed_in(app, bea)
    mine = as_bea.submit("/settings", {"reason": "spam"}, action=f"/flag/profile/{bea.id}")
    assert mine.status_code == 403


def test_a_suspended_member_is_offered_no_flag(bea, flaggers):
    assert flag_state(live(flaggers[0]), live(bea)) == (True, False)
    with atomic():
        accounts.suspend_member(None, live(flaggers[0]), "Spam.")
    fresh()
    assert flag_state(live(flaggers[0]), live(bea)) == (False, False)
    assert flag_state(live(bea), live(bea)) == (False, False)


def test_an_admin_restores_a_profile_from_its_page(app, bea, flaggers, admin):
    hide_by_flags(flaggers, bea.id)
    as_admin = signed_in(app, admin)
    done = as_admin.submit("/settings", {"back": "item"}, action=f"/mod/profile/{bea.id}/keep")
    assert done.headers["Location"] == f"/u/{bea.id}"
    assert profile_of(bea).profile_hidden_at is None


def test_an_admins_own_hidden_profile_offers_them_no_restore(app, communities, flaggers, admin):
    hide_by_flags(flaggers, admin.id)
    page = signed_in(app, admin).get(f"/u/{admin.id}").get_data(as_text=True)
    assert "Hidden from members after members flagged it" in page
    assert f'action="/mod/profile/{admin.id}/keep"' not in page
