"""Community pages over HTTP: reading rules, joining and leaving, management, query counts."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.communities import actions
from community.communities.models import Membership
from community.db import atomic, utcnow
from community.extensions import db
from tests.communities.helpers import (
    archive,
    community,
    count_statements,
    csrf,
    membership_count,
    post,
    set_visibility,
    text_of,
)
from tests.factories import make_moderator, make_user

RECORD_NAMES = [
    "Business support",
    "Procurement",
    "Finance",
    "Impact measurement",
    "Workforce development",
    "Health",
    "Equal learning network",
]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _card_names(html: str) -> list[str]:
    return re.findall(r'<h[23]><a href="/c/[^"]+">([^<]+)</a></h[23]>', html)


def _signed_in(browser, user: User):
    browser.login(user.email)
    return browser.client


def _role(user: User, slug: str) -> str | None:
    db.session.rollback()
    return db.session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.community_id == community(slug).id
        )
    )


# --- the home page --------------------------------------------------------------------------


def test_home_lists_the_seven_communities_in_record_order_with_counts(client, communities):
    make_user(communities=("finance",))
    make_user(communities=("finance", "health"))
    html = _html(client.get("/"))
    assert _card_names(html) == RECORD_NAMES
    text = text_of(html)
    assert "Finance Access to finance and investment for social enterprises. 2 members" in text
    assert "Procurement Public procurement" in text
    assert "0 members · no posts yet" in text
    assert "Health Social enterprise in health and social care: commissioning, delivery, " in text
    assert "policy. 1 member · no posts yet" in text  # singular


def test_home_shows_post_counts_and_last_activity(client, communities):
    with atomic():
        finance = communities["finance"]
        finance.post_count = 3
        finance.last_activity_at = datetime(2026, 1, 5, 12, tzinfo=UTC).replace(tzinfo=None)
        communities["health"].post_count = 1
    text = text_of(_html(client.get("/")))
    assert "0 members · 3 posts · last active 5 Jan 2026" in text
    assert "0 members · 1 post " in text


def test_members_only_communities_are_listed_only_for_members_and_admins(app, browser, communities):
    set_visibility("health", "members")
    member, outsider, admin = make_user(), make_user(), make_user(admin=True)
    with atomic():
        actions.add_member(admin, "health", email=member.email)
    public = [n for n in RECORD_NAMES if n != "Health"]

    assert _card_names(_html(browser.get("/"))) == public
    _signed_in(browser, outsider)
    assert _card_names(_html(browser.get("/"))) == public
    browser.logout()
    _signed_in(browser, member)
    html = _html(browser.get("/"))
    assert _card_names(html) == RECORD_NAMES
    assert "members only" in html
    browser.logout()
    _signed_in(browser, admin)
    assert _card_names(_html(browser.get("/"))) == RECORD_NAMES


# --- reading a community --------------------------------------------------------------------


def test_a_public_community_is_readable_by_anyone(client, communities):
    moderator = make_moderator("finance", make_user("Nia Moderator"))
    response = client.get("/c/finance")
    assert response.status_code == 200
    html = _html(response)
    assert "<h1>Finance</h1>" in html
    assert "Access to finance and investment" in html
    assert "Moderated by" in html
    assert moderator.display_name in html
    assert "Sign in to join" in html
    members = client.get("/c/finance/members")
    assert members.status_code == 200
    assert "to see who is here" in _html(members)
    assert moderator.display_name not in re.sub(
        r"<header.*?</header>", "", _html(members), flags=re.S
    )


@pytest.mark.parametrize("path", ["/c/health", "/c/health/members", "/c/health/manage"])
def test_members_only_pages_do_not_exist_for_visitors_and_non_members(browser, communities, path):
    set_visibility("health", "members")
    assert browser.get(path).status_code == 404
    _signed_in(browser, make_user())
    assert browser.get(path).status_code == 404


def test_members_only_community_is_readable_by_members_and_admins(browser, communities):
    set_visibility("health", "members")
    member, admin = make_user("Rhian Member"), make_user(admin=True)
    with atomic():
        actions.add_member(admin, "health", email=member.email)
    _signed_in(browser, member)
    assert browser.get("/c/health").status_code == 200
    members_page = browser.get("/c/health/members")
    assert members_page.status_code == 200
    assert "Rhian Member" in _html(members_page)
    assert browser.get("/c/health/manage").status_code == 403
    browser.logout()
    _signed_in(browser, admin)
    assert browser.get("/c/health").status_code == 200
    assert browser.get("/c/health/manage").status_code == 200


@pytest.mark.parametrize("path", ["/c/finance", "/c/finance/members", "/c/finance/manage"])
def test_unknown_communities_are_404_and_archived_ones_read_only(browser, communities, path):
    archive("finance")
    _signed_in(browser, make_user(admin=True))
    response = browser.get(path)
    assert response.status_code == 200
    assert "archived (read-only)" in text_of(response.get_data(as_text=True))
    assert browser.get(path.replace("finance", "no-such-place")).status_code == 404


def test_manage_asks_visitors_to_sign_in_on_a_public_community(client, communities):
    response = client.get("/c/finance/manage")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- joining and leaving --------------------------------------------------------------------


def test_join_and_leave_by_post_keep_the_count_right(browser, communities):
    user = make_user()
    client = _signed_in(browser, user)
    response = post(client, "/c/finance/join", token_page="/c/finance")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/c/finance")
    assert community("finance").member_count == 1
    page = _html(client.get("/c/finance"))
    assert "Welcome to Finance." in page
    assert "You are a member" in page
    assert "Leave Finance" in page

    again = post(client, "/c/finance/join", token_page="/c/finance")
    assert again.status_code == 302
    assert community("finance").member_count == 1
    assert membership_count("finance") == 1

    left = post(client, "/c/finance/leave", token_page="/c/finance")
    assert left.status_code == 302
    assert community("finance").member_count == 0
    assert "You have left Finance." in _html(client.get("/c/finance"))


def test_leaving_when_not_a_member_is_a_clear_400(browser, communities):
    client = _signed_in(browser, make_user())
    response = post(client, "/c/finance/leave", token_page="/c/finance")
    assert response.status_code == 400
    assert "You are not a member of Finance." in _html(response)
    assert community("finance").member_count == 0


def test_get_on_join_and_leave_changes_nothing(browser, communities):
    user = make_user(communities=("procurement",))
    client = _signed_in(browser, user)
    assert client.get("/c/finance/join").status_code == 405
    assert client.get("/c/procurement/leave").status_code == 405
    assert _role(user, "finance") is None
    assert _role(user, "procurement") == "member"


def test_join_without_a_csrf_token_is_refused(browser, communities):
    user = make_user()
    client = _signed_in(browser, user)
    response = client.post("/c/finance/join")
    assert response.status_code == 400
    assert "Form expired" in _html(response)
    assert _role(user, "finance") is None


def test_visitors_are_sent_to_sign_in_when_joining(client, communities):
    response = post(client, "/c/finance/join", token_page="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert community("finance").member_count == 0


def test_a_suspended_member_is_signed_out_and_cannot_join(browser, communities):
    user = make_user()
    client = _signed_in(browser, user)
    token = csrf(client, "/c/finance")
    with atomic():
        db.session.get(User, user.id).suspended_at = utcnow()
    response = client.post("/c/finance/join", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert _role(user, "finance") is None


def test_members_only_communities_cannot_be_joined_from_the_web(browser, communities):
    set_visibility("health", "members")
    outsider = make_user()
    client = _signed_in(browser, outsider)
    assert post(client, "/c/health/join").status_code == 404
    browser.logout()
    _signed_in(browser, make_user(admin=True))
    page = _html(client.get("/c/health"))
    assert "Join Health" not in page  # no button that would only be refused
    refused = post(client, "/c/health/join")
    assert refused.status_code == 403
    assert "when a moderator adds them" in _html(refused)
    assert community("health").member_count == 0


def test_leaving_a_members_only_community_goes_home(browser, communities):
    set_visibility("health", "members")
    member = make_user()
    with atomic():
        actions.add_member(make_user(admin=True), "health", email=member.email)
    client = _signed_in(browser, member)
    response = post(client, "/c/health/leave", token_page="/c/health")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert client.get("/c/health").status_code == 404
    assert community("health").member_count == 0


# --- management -----------------------------------------------------------------------------


def test_an_admin_adds_and_removes_a_moderator_on_the_manage_page(browser, communities):
    admin = make_user("Ada Admin", admin=True)
    user = make_user("Tomos Jones", email="tomos@example.org")
    client = _signed_in(browser, admin)
    page = _html(client.get("/c/finance/manage"))
    assert 'for="moderator-email"' in page
    assert 'for="member-email"' in page
    response = post(
        client,
        "/c/finance/manage/moderators",
        {"moderator-email": "Tomos@Example.org"},
        token_page="/c/finance/manage",
    )
    assert response.status_code == 302
    assert _role(user, "finance") == "moderator"
    page = _html(client.get("/c/finance/manage"))
    assert "Tomos Jones is now a moderator." in page
    assert "Remove Tomos Jones as moderator" in page
    assert community("finance").member_count == 1

    response = post(
        client,
        f"/c/finance/manage/moderators/{user.id}/remove",
        token_page="/c/finance/manage",
    )
    assert response.status_code == 302
    assert _role(user, "finance") == "member"

    admin_page = text_of(_html(client.get("/admin")))
    assert "Ada Admin made Tomos Jones a moderator of Finance" in admin_page
    assert "Ada Admin removed Tomos Jones as a moderator of Finance" in admin_page


def test_an_unknown_email_is_a_field_error_and_the_input_is_kept(browser, communities):
    client = _signed_in(browser, make_user(admin=True))
    response = post(
        client,
        "/c/finance/manage/moderators",
        {"moderator-email": "nobody@example.org"},
        token_page="/c/finance/manage",
    )
    assert response.status_code == 400
    html = _html(response)
    assert 'id="moderator-email-error"' in html
    assert "No account uses that email address." in html
    assert 'value="nobody@example.org"' in html
    assert 'aria-invalid="true"' in html
    # The other form on the page stays blank and unmarked.
    assert 'id="member-email-error"' not in html


def test_a_moderator_adds_members_but_not_moderators(browser, communities):
    set_visibility("health", "members")
    moderator = make_moderator("health")
    make_moderator("health", make_user(email="co-moderator@example.org"))
    newcomer = make_user("Lowri New")
    client = _signed_in(browser, moderator)
    page = _html(client.get("/c/health/manage"))
    assert "Add a member" in page
    assert "Add moderator" not in page
    assert "Remove " not in page
    assert "co-moderator@example.org" not in page  # addresses are for admins only
    response = post(
        client,
        "/c/health/manage/members",
        {"member-email": newcomer.email},
        token_page="/c/health/manage",
    )
    assert response.status_code == 302
    assert _role(newcomer, "health") == "member"
    assert "Lowri New is now a member." in _html(client.get("/c/health/manage"))

    refused = post(
        client,
        "/c/health/manage/moderators",
        {"moderator-email": newcomer.email},
        token_page="/c/health/manage",
    )
    assert refused.status_code == 403
    assert _role(newcomer, "health") == "member"


def test_plain_members_get_403_on_manage(browser, communities):
    member = make_user(communities=("finance",))
    other = make_user()
    client = _signed_in(browser, member)
    assert client.get("/c/finance/manage").status_code == 403
    response = post(client, "/c/finance/manage/members", {"member-email": other.email})
    assert response.status_code == 403
    assert _role(other, "finance") is None


def test_only_admins_are_offered_moderator_assignment_on_manage(browser, communities):
    """The page shows what `assigns_moderators` allows: a moderator manages members but
    neither sees moderators' emails nor the forms to add or remove one."""
    moderator = make_moderator("finance")
    client = _signed_in(browser, moderator)
    page = _html(client.get("/c/finance/manage"))
    assert "The site's admins assign and remove moderators." in page
    assert 'for="moderator-email"' not in page
    assert moderator.email not in page
    browser.logout()
    _signed_in(browser, make_user(admin=True))
    page = _html(client.get("/c/finance/manage"))
    assert 'for="moderator-email"' in page
    assert moderator.email in page
    assert f"Remove {moderator.display_name} as moderator" in page


def test_adding_an_existing_member_keeps_the_input_with_a_message(browser, communities):
    moderator = make_moderator("finance")
    client = _signed_in(browser, moderator)
    response = post(
        client,
        "/c/finance/manage/members",
        {"member-email": moderator.email},
        token_page="/c/finance/manage",
    )
    assert response.status_code == 400
    html = _html(response)
    assert "is already a member" in html
    assert f'value="{moderator.email}"' in html


def test_header_shows_manage_only_to_moderators(browser, communities):
    moderator = make_moderator("finance")
    member = make_user(communities=("finance",))
    client = _signed_in(browser, member)
    assert "/c/finance/manage" not in _html(client.get("/c/finance"))
    browser.logout()
    _signed_in(browser, moderator)
    page = _html(client.get("/c/finance"))
    assert "/c/finance/manage" in page
    assert "You moderate this community" in page


# --- query counts ---------------------------------------------------------------------------


def statement_count(app, client, url: str) -> int:
    """How many SQL statements one GET sends, run like production: a fresh app context (so
    no session identity map or cached current_user carries over from earlier requests)."""
    client.get(url)  # warm up: the first request may also record last_seen
    with app.app_context(), count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_member_and_home_pages_do_not_grow_with_members(app, browser, communities):
    urls = ("/", "/c/finance", "/c/finance/members")
    for _ in range(5):
        make_user(communities=("finance", "procurement"))
    make_moderator("finance")
    client = _signed_in(browser, make_user(communities=("finance",)))
    few = {url: statement_count(app, client, url) for url in urls}
    for _ in range(55):
        make_user(communities=("finance", "procurement"))
    make_moderator("finance")
    many = {url: statement_count(app, client, url) for url in urls}
    assert many == few
    html = _html(client.get("/c/finance/members"))
    assert html.count('class="avatar') >= 50
    assert "Next page" in html


def test_a_moderator_posting_an_empty_moderator_form_is_refused_not_asked_again(
    browser, communities
):
    client = _signed_in(browser, make_moderator("finance"))
    response = post(
        client, "/c/finance/manage/moderators", {"moderator-email": ""}, token_page="/c/finance"
    )
    assert response.status_code == 403
    assert "Only the site's admins assign and remove moderators." in text_of(_html(response))


def test_an_empty_email_is_a_field_error(browser, communities):
    client = _signed_in(browser, make_moderator("finance"))
    response = post(
        client, "/c/finance/manage/members", {"member-email": "  "}, token_page="/c/finance"
    )
    assert response.status_code == 400
    assert "Enter an email address." in _html(response)


def test_members_page_lists_moderators_first_and_pages_without_repeats(browser, communities):
    names = [f"Member {chr(ord('A') + i // 26)}{chr(ord('a') + i % 26)}" for i in range(55)]
    for name in names:
        make_user(name, communities=("finance",))
    make_moderator("finance", make_user("Zoe Moderator"))
    client = _signed_in(browser, make_user("Viewer", communities=("finance",)))
    seen, url = [], "/c/finance/members"
    while url:
        html = _html(client.get(url))
        seen += re.findall(
            r'<a href="/u/\d+">([^<]+)</a>\s*(?:<span class="badge">)?',
            html.split("<h2>Members</h2>")[1],
        )
        more = re.search(r'href="(/c/finance/members\?after=[^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen[0] == "Zoe Moderator"
    assert sorted(seen[1:], key=str.lower) == seen[1:]
    assert len(seen) == len(set(seen)) == 57  # 55 + the moderator + the viewer
