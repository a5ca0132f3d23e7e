"""The resource pages over HTTP: the forms, bad input that keeps what was entered, file
serving and download counts, curation buttons, and who gets 404 where."""

import io
import re
from html import unescape

import pytest

from community.db import atomic
from community.extensions import db
from community.resources import actions
from community.resources.models import Resource
from community.threads import actions as thread_actions
from tests.factories import PASSWORD
from tests.filesamples import mp3_bytes, pdf_bytes
from tests.resources.helpers import live, mp3_upload, reload, run, submit

HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def form(**overrides) -> dict:
    data = {
        "title": "Buying social value",
        "kind": "toolkit",
        "communities": ["procurement"],
        "summary": "For *buyers*.",
        "published": "2006-09",
        "licence": "cc-by-4.0",
        "link": "",
        "tags": "tenders",
        "note": "",
    }
    data.update(overrides)
    return data


def share(browser, data: dict, file: tuple[bytes, str] | None = ("pdf", "report.pdf")):
    payload = dict(data)
    if file is not None:
        content, name = file
        content = pdf_bytes() if content == "pdf" else content
        payload["file"] = (io.BytesIO(content), name)
    return browser.submit("/resources/new", payload, content_type="multipart/form-data")


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def newest_id() -> int:
    db.session.rollback()
    return db.session.query(Resource.id).order_by(Resource.id.desc()).limit(1).scalar()


# --- submitting through the form ------------------------------------------------------------


def test_a_member_shares_a_file_and_sees_it_waiting(browser, alice, mod):
    browser.login(alice.email)
    form_page = browser.get("/resources/new?community=procurement")
    assert 'value="procurement" checked' in form_page.get_data(as_text=True)
    response = share(browser, form(), ("pdf", "../../etc/Annual report.pdf"))
    assert response.status_code == 302
    resource_id = newest_id()
    assert response.headers["Location"].endswith(f"/resources/{resource_id}")
    shown = page(browser.get(f"/resources/{resource_id}"))
    assert "waiting for a moderator" in shown
    assert "Annual report.pdf" in shown  # the display name, cleaned of its path
    assert "September 2006" in shown
    resource = reload(resource_id)
    assert resource.status == "pending"
    assert resource.versions[0].filename == "Annual report.pdf"


@pytest.mark.parametrize(
    ("overrides", "file", "message"),
    [
        ({"title": ""}, None, "Give the resource a title."),
        ({"link": "javascript:alert(1)"}, None, "starting with http:// or https://"),
        ({}, None, "Attach a file or give the web address"),
        ({}, (b"", "empty.pdf"), "That file is empty."),
        ({}, (HTML, "report.pdf"), "not"),
        ({}, (b"\x00\x01\x02binary junk" * 10, "data.bin"), "not accepted"),
        ({"title": "x" * 201}, None, "at most 200 characters"),
        ({"published": "Sept 2006"}, None, "(2006-09)"),
        ({"communities": []}, None, "at least one community"),
        ({"communities": ["finance"]}, None, "only into communities you belong to"),
    ],
)
def test_bad_input_says_why_and_keeps_what_was_typed(browser, alice, overrides, file, message):
    browser.login(alice.email)
    data = form(summary="My careful summary", tags="kept, tags", **overrides)
    response = share(browser, data, file)
    assert response.status_code == 400
    shown = page(response)
    assert message in shown
    assert "There is a problem" in shown
    assert "My careful summary" in shown
    assert 'value="kept, tags"' in shown
    db.session.rollback()
    assert db.session.query(Resource).count() == 0


def test_a_good_file_is_kept_while_another_field_is_corrected(browser, alice):
    browser.login(alice.email)
    response = share(browser, form(title=""), ("pdf", "kept.pdf"))
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    assert "kept.pdf" in shown
    held = re.search(r'name="held_file" type="hidden" value="([^"]+)"', shown)
    assert held, shown
    data = form(title="Now with a title", held_file=held.group(1))
    response = share(browser, data, None)
    assert response.status_code == 302
    assert reload(newest_id()).versions[0].filename == "kept.pdf"


def test_a_forged_held_file_token_is_ignored(browser, alice):
    browser.login(alice.email)
    response = share(browser, form(held_file="a" * 64), None)
    assert response.status_code == 400
    assert "Attach a file" in page(response)


def test_an_upload_over_the_limit_gets_the_413_page(app, browser, alice):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    browser.login(alice.email)
    response = share(browser, form(), (b"%PDF-1.4\n" + b"0" * 20_000, "big.pdf"))
    assert response.status_code == 413
    assert "larger than this site accepts" in page(response)


def test_the_form_needs_csrf(app, client, alice):
    app.config["WTF_CSRF_ENABLED"] = True
    from tests.conftest import Browser

    Browser(client).login(alice.email)
    response = client.post("/resources/new", data=form(link="https://example.org"))
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.query(Resource).count() == 0


# --- curation over HTTP ---------------------------------------------------------------------


def test_a_moderator_approves_and_asks_for_changes_from_the_page(browser, alice, mod):
    first, second = submit(alice), submit(alice, title="Second one")
    browser.login(mod.email)
    shown = page(browser.get(f"/resources/{first}"))
    assert "Approve and publish" in shown
    assert "History" in shown
    assert "Awaiting review (2)" in page(browser.get("/resources"))
    response = browser.submit(f"/resources/{first}", {}, action=f"/resources/{first}/approve")
    assert response.status_code == 302
    assert reload(first).status == "published"
    empty = browser.submit(f"/resources/{second}", {"reason": ""},
                           action=f"/resources/{second}/changes")  # fmt: skip
    assert empty.status_code == 400
    assert "Say why" in page(empty)
    done = browser.submit(f"/resources/{second}", {"reason": "Add the date"},
                          action=f"/resources/{second}/changes")  # fmt: skip
    assert done.status_code == 302
    assert reload(second).status == "changes_requested"


def test_members_cannot_use_curation_urls(browser, alice, bob):
    resource_id = submit(alice)
    browser.login(alice.email)
    response = browser.submit("/resources/new", {}, action=f"/resources/{resource_id}/approve")
    assert response.status_code == 403
    browser.logout()
    browser.login(bob.email, PASSWORD)
    response = browser.submit("/resources/new", {}, action=f"/resources/{resource_id}/approve")
    assert response.status_code == 404
    assert reload(resource_id).status == "pending"


# --- files ----------------------------------------------------------------------------------


def test_downloads_are_attachments_with_safe_headers_and_counted(client, alice, mod):
    run(actions.approve_resource, mod, resource_id := submit(alice))
    response = client.get(f"/resources/{resource_id}/download")
    assert response.status_code == 200
    assert response.data == pdf_bytes()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    client.get(f"/resources/{resource_id}/versions/1/download")
    assert reload(resource_id).download_count == 1  # the same visitor again: counted once
    # A conditional request revalidates without counting again.
    etag = response.headers["ETag"]
    again = client.get(f"/resources/{resource_id}/download", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert reload(resource_id).download_count == 1


def test_audio_plays_inline_with_ranges_and_seeking_does_not_count(client, alice, mod):
    resource_id = submit(alice, upload=mp3_upload(frames=40), kind="podcast")
    run(actions.approve_resource, mod, resource_id)
    shown = page(client.get(f"/resources/{resource_id}"))
    assert (
        f'<audio controls preload="metadata" src="/resources/{resource_id}/versions/1/play"'
        in shown
    )
    played = client.get(
        f"/resources/{resource_id}/versions/1/play", headers={"Range": "bytes=100-199"}
    )
    assert played.status_code == 206
    assert played.data == mp3_bytes(40)[100:200]
    assert played.headers["Content-Disposition"].startswith("inline")
    assert played.headers["Content-Type"] == "audio/mpeg"
    seek = client.get(f"/resources/{resource_id}/download", headers={"Range": "bytes=500-"})
    assert seek.status_code == 206
    assert reload(resource_id).download_count == 0


@pytest.mark.parametrize(
    "path",
    [
        "/resources/{id}",
        "/resources/{id}/download",
        "/resources/{id}/versions/1/download",
        "/resources/{id}/versions/1/play",
        "/resources/{id}/edit",
    ],
)
def test_pending_resources_are_404_to_others(browser, alice, bob, mod, path):
    resource_id = submit(alice)
    url = path.format(id=resource_id)
    assert browser.get(url).status_code in (302, 404)  # signed out: sign in, or not found
    browser.login(bob.email)
    assert browser.get(url).status_code == 404
    browser.logout()
    browser.login(alice.email)
    assert browser.get(url).status_code == 200
    assert reload(resource_id).download_count == (
        0 if "play" in path or "download" not in path else 1
    )


def test_unknown_versions_and_huge_ids_are_404(client, alice, mod):
    run(actions.approve_resource, mod, resource_id := submit(alice))
    assert client.get(f"/resources/{resource_id}/versions/9/download").status_code == 404
    assert client.get("/resources/99999999999999/download").status_code == 404
    assert client.get("/resources/0").status_code == 404


# --- pages ----------------------------------------------------------------------------------


def test_browse_page_community_tab_and_home_show_published_resources(client, alice, mod):
    published_id = submit(alice, title="Listed toolkit")
    run(actions.approve_resource, mod, published_id)
    run(actions.set_featured, mod, published_id, True)
    submit(alice, title="Still pending")
    for url in ("/resources", "/c/procurement/resources", "/", "/resources?kind=toolkit"):
        shown = page(client.get(url))
        assert "Listed toolkit" in shown, url
        assert "Still pending" not in shown, url
    assert "Listed toolkit" not in page(client.get("/resources?kind=podcast"))
    assert "Listed toolkit" not in page(client.get("/c/finance/resources"))
    assert client.get("/resources?community=no-such").status_code == 404
    assert client.get("/resources?after=garbage&sort=title&year=abc").status_code == 200


def test_the_review_queue_is_on_mod_and_own_submissions_on_their_page(browser, alice, mod):
    resource_id = submit(alice, title="Waiting one")
    browser.login(mod.email)
    assert browser.get("/resources/review").headers["Location"] == "/mod"
    assert "Waiting one" in page(browser.get("/mod"))
    browser.logout()
    browser.login(alice.email)
    assert browser.get("/mod").status_code == 403
    assert browser.get("/resources/review").headers["Location"] == "/resources/mine"
    shown = page(browser.get("/resources/mine"))
    assert "Waiting one" in shown
    assert f"/resources/{resource_id}" in shown


def test_discussing_from_the_resource_page(browser, alice, bob, mod):
    run(actions.approve_resource, mod, resource_id := submit(alice))
    browser.login(bob.email)
    response = browser.submit(
        f"/resources/{resource_id}", {"body": "Useful for our tender.", "client_token": "t1"},
        action=f"/resources/{resource_id}/discuss",
    )  # fmt: skip
    assert response.status_code == 302
    assert "/p/" in response.headers["Location"]
    shown = page(browser.get(f"/resources/{resource_id}"))
    assert "Useful for our tender." in shown
    thread_id = reload(resource_id).thread_id
    assert "The discussion of the resource" in page(browser.get(f"/t/{thread_id}"))
    empty = browser.submit(f"/resources/{resource_id}", {"body": "  "},
                           action=f"/resources/{resource_id}/discuss")  # fmt: skip
    assert empty.status_code == 400
    assert "the message is empty" in page(empty)


def test_the_discussion_preview_resolves_mentions_as_the_post_will(browser, alice, bob, mod):
    """The preview goes through the same "resolve mentions, then render" as the post."""
    run(actions.approve_resource, mod, resource_id := submit(alice))
    browser.login(bob.email)
    response = browser.submit(
        f"/resources/{resource_id}",
        {"body": "*Useful*, @**Alice Author**", "preview": "Preview", "client_token": "t2"},
        action=f"/resources/{resource_id}/discuss",
    )
    assert response.status_code == 200
    preview = re.search(r'<section class="preview"[^>]*>(.*?)</section>', page(response), re.S)
    assert preview, "the preview is shown"
    assert "<em>Useful</em>" in preview.group(1)
    assert f'<a href="/u/{alice.id}">@Alice Author</a>' in preview.group(1)
    assert reload(resource_id).thread_id is None  # nothing posted


def test_edit_page_keeps_input_on_error_and_saves(browser, alice, mod):
    run(actions.approve_resource, mod, resource_id := submit(alice))
    browser.login(mod.email)
    assert browser.get(f"/resources/{resource_id}/edit").status_code == 200
    bad = browser.submit(f"/resources/{resource_id}/edit", form(title="", summary="Kept text"))
    assert bad.status_code == 400
    assert "Kept text" in page(bad)
    good = browser.submit(f"/resources/{resource_id}/edit", form(title="Renamed"))
    assert good.status_code == 302
    assert reload(resource_id).title == "Renamed"
    version = browser.submit(
        f"/resources/{resource_id}/edit",
        {"file": (io.BytesIO(pdf_bytes()), "v2.pdf"), "note": "Second"},
        action=f"/resources/{resource_id}/versions", content_type="multipart/form-data",
    )  # fmt: skip
    assert version.status_code == 302
    assert [v.number for v in reload(resource_id).versions] == [2, 1]
    missing = browser.submit(f"/resources/{resource_id}/edit", {"note": "x"},
                             action=f"/resources/{resource_id}/versions")  # fmt: skip
    assert missing.status_code == 400
    assert "Choose the file" in page(missing)


def test_search_can_be_held_to_resources(client, alice, mod, bob):
    run(actions.approve_resource, mod, submit(alice, title="Tender toolkit"))
    with atomic():
        thread_actions.start_thread(live(bob), "procurement", title="Tender talk", body="Tender")
    # Results show their titles with the matched word highlighted.
    toolkit, talk = "<mark>Tender</mark> toolkit", "<mark>Tender</mark> talk"
    everything = page(client.get("/search?q=tender"))
    assert toolkit in everything
    assert talk in everything
    assert "Resource in Procurement" in everything
    only = page(client.get("/search?q=tender&what=resources"))
    assert toolkit in only
    assert talk not in only
    discussions = page(client.get("/search?q=tender&what=discussions"))
    assert toolkit not in discussions
    assert talk in discussions
    assert toolkit in page(client.get("/search?q=tender&what=bogus"))


def test_the_pages_offer_sharing_as_the_actions_allow(browser, alice, stranger, admin):
    """`can_share` and `skips_review` come from the actions (check_can_submit_to,
    skips_review): the templates check no roles."""
    share_button = 'href="/resources/new?community=procurement"'
    browser.login(alice.email)
    assert share_button in page(browser.get("/c/procurement/resources"))
    assert "A moderator of each community reviews it" in page(browser.get("/resources/new"))
    browser.logout()
    browser.login(stranger.email)
    assert share_button not in page(browser.get("/c/procurement/resources"))
    browser.logout()
    browser.login(admin.email)
    assert share_button in page(browser.get("/c/procurement/resources"))
    assert "A moderator of each community reviews it" not in page(browser.get("/resources/new"))
