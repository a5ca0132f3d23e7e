"""The review loop as submitters meet it: saving after a change request sends the resource
back for review, notices name what happened to which resource, and a published resource's
submitter proposes a new version that goes through the same queue (now on /mod)."""

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from community import filesweep
from community.errors import Forbidden, Invalid, NotFound
from community.extensions import db
from community.notifications.models import Notification
from community.resources import actions, queries
from community.resources.models import ResourceEvent, ResourceProposal
from tests.filesamples import pdf_bytes
from tests.resources.helpers import details, live, pdf_upload, reload, run, submit

TITLE = "Social value in procurement"


def events(resource_id) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(ResourceEvent.action)
            .where(ResourceEvent.resource_id == resource_id)
            .order_by(ResourceEvent.id)
        )
    )


def notes(user) -> list[tuple[str, str, str]]:
    """(kind, actor, the notice's words after its actor) of the member's notifications."""
    db.session.rollback()
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(n.kind, n.actor_name(), f"{n.phrase} {n.shown_subject}") for n in rows]


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def words(response) -> str:
    """The page's text without its tags, as a reader meets it."""
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())


def publish_one(alice, mod, **overrides) -> int:
    resource_id = submit(alice, **overrides)
    run(actions.approve_resource, mod, resource_id)
    return resource_id


def propose(user, resource_id, upload=None, **overrides) -> ResourceProposal:
    proposal = run(actions.propose_version, user, resource_id, details(**overrides),
                   upload=upload)  # fmt: skip
    return proposal.id


def proposal(proposal_id) -> ResourceProposal:
    db.session.rollback()
    return db.session.get(ResourceProposal, proposal_id)


# --- saving after a change request resubmits ------------------------------------------------


def test_the_submitters_save_after_a_change_request_sends_it_back(alice, mod):
    resource_id = submit(alice)
    run(actions.request_changes, mod, resource_id, reason="Add the year.")
    run(actions.edit_resource, alice, resource_id, details(published="2007"))
    assert reload(resource_id).status == "pending"
    assert [r.id for r in queries.awaiting_review(live(mod))] == [resource_id]
    # Saving again while it waits is an edit, not a second resubmission.
    run(actions.edit_resource, alice, resource_id, details(published="2008"))
    assert events(resource_id) == ["submitted", "changes_requested", "resubmitted", "edited"]


def test_a_curators_edit_does_not_resubmit_for_the_submitter(alice, mod):
    resource_id = submit(alice)
    run(actions.request_changes, mod, resource_id, reason="Add the year.")
    run(actions.edit_resource, mod, resource_id, details(published="2007"))
    assert reload(resource_id).status == "changes_requested"


def test_a_new_file_after_a_change_request_sends_it_back_too(alice, mod):
    resource_id = submit(alice)
    run(actions.request_changes, mod, resource_id, reason="The wrong file.")
    run(actions.add_version, alice, resource_id, pdf_upload("right.pdf"))
    assert reload(resource_id).status == "pending"
    assert events(resource_id)[-2:] == ["new_version", "resubmitted"]


def test_the_edit_page_says_saving_sends_it_for_review(browser, alice, mod):
    resource_id = submit(alice)
    browser.login(alice.email)
    before = page(browser.get(f"/resources/{resource_id}/edit"))
    assert "Save changes" in before
    assert "Save and send for review" not in before
    run(actions.request_changes, mod, resource_id, reason="Add the year.")
    shown = page(browser.get(f"/resources/{resource_id}/edit"))
    assert "Save and send for review" in shown
    assert 'name="resubmit"' not in shown
    fields = {
        "title": TITLE, "kind": "toolkit", "communities": ["procurement"], "published": "2007",
        "licence": "cc-by-4.0", "tags": "tenders",
    }  # fmt: skip
    response = browser.submit(f"/resources/{resource_id}/edit", fields)
    assert response.status_code == 302
    assert reload(resource_id).status == "pending"
    assert "sent to the moderators for review" in page(browser.get(f"/resources/{resource_id}"))


# --- notices say what happened to which resource --------------------------------------------


def test_notices_are_worded_per_kind_with_the_resource_named(alice, mod):
    first = submit(alice)
    run(actions.request_changes, mod, first, reason="Add the year.")
    second = submit(alice, title="Second one")
    run(actions.reject_resource, mod, second, reason="Out of scope.")
    run(actions.edit_resource, alice, first, details(published="2007"))
    run(actions.approve_resource, mod, first)
    assert notes(alice) == [
        ("resource_changes", "Mona Moderator", f"asked for changes to your resource “{TITLE}”"),
        ("resource_rejected", "Mona Moderator", "did not accept your resource “Second one”"),
        ("resource_approved", "Mona Moderator", f"published your resource “{TITLE}”"),
    ]
    assert [words for _kind, _actor, words in notes(mod)] == [
        f"asks you to review the resource “{TITLE}”",
        "asks you to review the resource “Second one”",
        f"asks you to review the resource “{TITLE}”",
    ]


def test_the_notifications_page_reads_the_notice_whole(browser, alice, mod):
    resource_id = submit(alice)
    run(actions.request_changes, mod, resource_id, reason="Add the year.")
    browser.login(alice.email)
    text = words(browser.get("/notifications"))
    assert f"Mona Moderator asked for changes to your resource “{TITLE}”" in text


def test_other_notices_keep_their_unquoted_subject(alice, bob):
    from community.notifications.targets import shown_subject

    assert shown_subject("reply", "Budget planning") == "Budget planning"
    assert shown_subject("resource_approved", "Toolkit") == "“Toolkit”"


# --- proposing a new version of a published resource ----------------------------------------


def test_only_the_submitter_of_a_published_resource_proposes(alice, bob, mod):
    resource_id = submit(alice)
    with pytest.raises(Forbidden):
        propose(alice, resource_id, title="Too early")  # still pending: edit it instead
    run(actions.approve_resource, mod, resource_id)
    with pytest.raises(Forbidden):
        propose(bob, resource_id, title="Not mine")
    with pytest.raises(Invalid, match="Change a detail or attach a new file"):
        propose(alice, resource_id)
    assert propose(alice, resource_id, title="Renamed")


def test_a_proposal_waits_in_the_queue_and_changes_nothing_until_approved(alice, mod, other_mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, upload=pdf_upload("v2.pdf"), title="Renamed",
                          tags="tenders")  # fmt: skip
    resource = reload(resource_id)
    assert (resource.title, resource.version_count) == (TITLE, 1)
    [item] = queries.review_queue(live(mod))
    assert (item.resource.id, item.proposal.id) == (resource_id, proposal_id)
    assert queries.review_queue(live(other_mod)) == []
    assert actions.proposed_changes(proposal(proposal_id)) == [
        ("Title", TITLE, "Renamed"),
        ("Tags", "social value, tenders", "tenders"),
    ]
    assert notes(mod)[-1] == (
        "proposal_review",
        "Alice Author",
        f"proposes a new version of the resource “{TITLE}”",
    )


def test_approving_gives_the_resource_the_new_version_and_keeps_the_old(alice, mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, upload=pdf_upload("v2.pdf"), title="Renamed")
    run(actions.approve_proposal, mod, proposal_id)
    resource = reload(resource_id)
    assert resource.title == "Renamed"
    assert resource.status == "published"
    assert [(v.number, v.filename) for v in resource.versions] == [(2, "v2.pdf"), (1, "report.pdf")]
    assert resource.versions[0].uploaded_by_id == alice.id
    assert proposal(proposal_id).status == "approved"
    assert events(resource_id)[-3:] == ["proposed", "new_version", "proposal_approved"]
    assert notes(alice)[-1] == (
        "proposal_approved", "Mona Moderator",
        "approved your new version of the resource “Renamed”",
    )  # fmt: skip
    assert queries.review_queue(live(mod)) == []
    with pytest.raises(Invalid):
        run(actions.approve_proposal, mod, proposal_id)


def test_changes_asked_for_a_proposal_are_made_by_saving_it_again(alice, mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, title="Renamed")
    with pytest.raises(Invalid):
        run(actions.request_proposal_changes, mod, proposal_id, reason=" ")
    run(actions.request_proposal_changes, mod, proposal_id, reason="Keep the year in it.")
    assert proposal(proposal_id).reason == "Keep the year in it."
    assert queries.review_queue(live(mod)) == []
    assert notes(alice)[-1][2] == f"asked for changes to your new version of the resource “{TITLE}”"
    assert propose(alice, resource_id, title="Renamed 2007") == proposal_id  # the same one
    assert proposal(proposal_id).status == "pending"
    assert [i.proposal.id for i in queries.review_queue(live(mod))] == [proposal_id]


def test_rejecting_a_proposal_leaves_the_resource_as_it_was(alice, bob, mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, title="Renamed")
    with pytest.raises(NotFound):  # bob may not even see it
        run(actions.reject_proposal, bob, proposal_id, reason="No.")
    run(actions.reject_proposal, mod, proposal_id, reason="The old title is right.")
    assert reload(resource_id).title == TITLE
    assert notes(alice)[-1][2] == f"did not accept your new version of the resource “{TITLE}”"
    # A new proposal can follow a rejected one.
    assert propose(alice, resource_id, title="Another") != proposal_id


def test_a_proposal_is_seen_only_by_its_proposer_and_curators(alice, bob, mod, other_mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, title="Renamed")
    for user in (alice, mod):
        assert actions.access_proposal(live(user), proposal_id).id == proposal_id
    for user in (bob, other_mod, None):
        with pytest.raises(NotFound):
            actions.access_proposal(live(user) if user else None, proposal_id)


def test_the_file_sweep_keeps_proposed_files(app, alice, mod):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, upload=pdf_upload("v2.pdf", pdf_bytes() + b"\n% 2"))
    assert proposal(proposal_id).sha256 in filesweep.referenced_hashes()


# --- over HTTP: the propose page, the files, the /mod queue ---------------------------------


def proposal_form(**overrides) -> dict:
    data = {
        "title": TITLE, "kind": "toolkit", "published": "2007-03", "licence": "cc-by-4.0",
        "summary": "A **toolkit** for buyers.", "tags": "social value, tenders", "note": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_the_submitter_proposes_from_the_resource_page(browser, alice, mod):
    resource_id = publish_one(alice, mod)
    browser.login(alice.email)
    assert "Propose a new version" in page(browser.get(f"/resources/{resource_id}"))
    assert browser.get(f"/resources/{resource_id}/edit").status_code == 403
    nothing = browser.submit(f"/resources/{resource_id}/propose", proposal_form())
    assert nothing.status_code == 400
    assert "Change a detail or attach a new file" in page(nothing)
    data = proposal_form(note="Corrected figures")
    data["file"] = (io.BytesIO(pdf_bytes()), "v2.pdf")
    response = browser.submit(f"/resources/{resource_id}/propose", data,
                              content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    shown = page(browser.get(f"/resources/{resource_id}"))
    assert "Proposed new version" in shown
    assert "v2.pdf" in shown
    assert "Change your proposal" in shown
    assert "Your proposed new versions" in page(browser.get("/resources/mine"))


def test_a_proposed_file_is_served_to_its_proposer_and_curators_only(
    client, browser, alice, bob, mod
):
    resource_id = publish_one(alice, mod)
    proposal_id = propose(alice, resource_id, upload=pdf_upload("v2.pdf"))
    url = f"/resources/{resource_id}/proposals/{proposal_id}/download"
    assert client.get(url).status_code == 302  # to sign in
    for email, status in (
        (bob.email, 404), (alice.email, 200), (mod.email, 200),
    ):  # fmt: skip
        browser.login(email)
        response = browser.get(url)
        assert response.status_code == status, email
        if status == 200:
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        browser.logout()
    browser.login(mod.email)
    assert (
        browser.get(f"/resources/{resource_id + 1}/proposals/{proposal_id}/download").status_code
        == 404
    )  # noqa: E501


def test_the_review_queue_is_on_the_mod_page_and_the_old_address_leads_there(
    browser, alice, mod, other_mod
):
    submit(alice, title="Waiting one")
    resource_id = publish_one(alice, mod, title="Published one")
    propose(alice, resource_id, title="Published one, revised")
    browser.login(mod.email)
    moved = browser.get("/resources/review?community=2&kind=post")
    assert moved.status_code == 302
    assert moved.headers["Location"] == "/mod?community=2&kind=post"
    shown = page(browser.get("/mod"))
    assert "Resources waiting for review (2)" in words(browser.get("/mod"))
    assert "Waiting one" in shown
    assert "Published one, revised" in shown
    assert "Awaiting review (2)" in page(browser.get("/resources"))
    browser.logout()
    browser.login(other_mod.email)
    assert "Resources waiting for review (0)" in words(browser.get("/mod"))
    browser.logout()
    browser.login(alice.email)
    assert browser.get("/resources/review").headers["Location"] == "/resources/mine"
    assert "Waiting one" in page(browser.get("/resources/mine"))


def test_the_mod_queue_filters_by_community(browser, alice, admin, communities):
    submit(alice, title="Waiting one")
    browser.login(admin.email)
    assert "Waiting one" in page(browser.get(f"/mod?community={communities['procurement'].id}"))
    assert "Waiting one" not in page(browser.get(f"/mod?community={communities['finance'].id}"))


def test_deciding_from_the_mod_queue_returns_there(browser, alice, mod):
    waiting = submit(alice, title="Waiting one")
    changes = submit(alice, title="Needs work")
    resource_id = publish_one(alice, mod, title="Published one")
    proposal_id = propose(alice, resource_id, title="Published one, revised")
    browser.login(mod.email)
    approve = browser.submit("/mod", {"next": "/mod"}, action=f"/resources/{waiting}/approve")
    assert (approve.status_code, approve.headers["Location"]) == (302, "/mod")
    asked = browser.submit("/mod", {"next": "/mod", "reason": "Add the year"},
                           action=f"/resources/{changes}/changes")  # fmt: skip
    assert asked.headers["Location"] == "/mod"
    decided = browser.submit(
        "/mod", {"next": "/mod"},
        action=f"/resources/{resource_id}/proposals/{proposal_id}/approve",
    )  # fmt: skip
    assert decided.headers["Location"] == "/mod"
    assert reload(waiting).status == "published"
    assert reload(changes).status == "changes_requested"
    assert reload(resource_id).title == "Published one, revised"
    offsite = browser.submit(f"/resources/{resource_id}", {"next": "//evil.example/"},
                             action=f"/resources/{resource_id}/feature")  # fmt: skip
    assert offsite.headers["Location"] == f"/resources/{resource_id}"


def test_the_moderators_header_count_follows_the_review_queue(alice, mod, other_mod, published):
    from community.moderation import queue
    from community.rooms import user_room

    resource_id = submit(alice)
    assert queue.waiting_count(live(mod)) == 1
    assert queue.waiting_count(live(other_mod)) == 0
    assert ("moderation.count", user_room(mod.id), {"waiting": 1}) in published
    assert all(room != user_room(other_mod.id) for _event, room, _payload in published)
    published.clear()
    run(actions.approve_resource, mod, resource_id)
    assert ("moderation.count", user_room(mod.id), {"waiting": 0}) in published
    propose(alice, resource_id, title="Renamed")
    assert queue.waiting_count(live(mod)) == 1
