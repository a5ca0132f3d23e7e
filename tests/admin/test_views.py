"""/admin: who may see it, what it shows, and that its cost does not grow with its contents."""

from community.communities import actions
from community.db import atomic
from tests.communities.helpers import post, text_of
from tests.communities.test_views import statement_count
from tests.factories import make_moderator, make_user


def test_admin_page_redirects_visitors_to_sign_in(client):
    response = client.get("/admin")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "next=%2Fadmin" in response.headers["Location"]


def test_admin_page_is_403_for_members_and_moderators(browser, communities):
    browser.login(make_moderator("finance").email)
    response = browser.get("/admin")
    assert response.status_code == 403
    assert "Only the site's admins can do that." in text_of(response.get_data(as_text=True))


def test_admin_page_lists_communities_with_moderators_and_the_audit_trail(browser, communities):
    admin = make_user("Ada Admin", admin=True)
    make_moderator("finance", make_user("Nia Moderator"))
    member = make_user("Rhys Member")
    with atomic():
        actions.add_member(admin, "procurement", email=member.email)
    browser.login(admin.email)
    response = browser.get("/admin")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "Finance Public 1 Nia Moderator Manage Finance" in text
    assert "Procurement Public 1 None yet Manage Procurement" in text
    assert 'href="/c/finance/manage"' in html
    # Newest first, worded for people; the factory's admin made the moderator.
    assert "Ada Admin added Rhys Member to Procurement" in text
    assert "made Nia Moderator a moderator of Finance" in text
    assert text.index("added Rhys Member") < text.index("made Nia Moderator")


def test_command_line_changes_are_attributed_to_the_command_line(app, browser, communities):
    admin = make_user(admin=True)
    make_user("Tomos Jones", email="tomos@example.org")
    result = app.test_cli_runner().invoke(
        args=["communities", "add-moderator", "finance", "tomos@example.org"]
    )
    assert result.exit_code == 0, result.output
    browser.login(admin.email)
    text = text_of(browser.get("/admin").get_data(as_text=True))
    assert "the command line made Tomos Jones a moderator of Finance" in text


def test_admin_manage_link_works_for_every_community(browser, communities):
    browser.login(make_user(admin=True).email)
    for slug in communities:
        assert browser.get(f"/c/{slug}/manage").status_code == 200


def test_admin_page_does_not_grow_with_audit_rows_or_communities(app, browser, communities):
    admin = make_user(admin=True)
    browser.login(admin.email)

    def add_activity(n: int, start: int) -> None:
        for i in range(start, start + n):
            with atomic():
                actions.create_community(slug=f"extra-{i}", name=f"Extra {i}")
            make_moderator(f"extra-{i}")

    add_activity(5, 0)
    few = {url: statement_count(app, browser.client, url) for url in ("/admin", "/")}
    add_activity(55, 5)
    many = {url: statement_count(app, browser.client, url) for url in ("/admin", "/")}
    assert many == few
    assert (
        text_of(browser.get("/admin").get_data(as_text=True)).count(" a moderator of Extra ") == 50
    )  # the audit table shows the latest 50


def test_removing_a_moderator_from_admin_needs_a_token(browser, communities):
    moderator = make_moderator("finance")
    browser.login(make_user(admin=True).email)
    url = f"/c/finance/manage/moderators/{moderator.id}/remove"
    assert browser.client.post(url).status_code == 400
    assert post(browser.client, url, token_page="/c/finance/manage").status_code == 302
