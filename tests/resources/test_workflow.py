"""The curation workflow through the actions: submit, review, publish, reject, changes,
feature, archive, versions, edits, discussion — and who may see each state."""

import pytest
from sqlalchemy import select

from community.db import atomic
from community.errors import Forbidden, Invalid, NotFound, TooMany
from community.extensions import db
from community.moderation.models import AuditLog
from community.notifications.models import Notification
from community.resources import actions, queries
from community.resources.models import ResourceEvent
from community.search.queries import Filters, search
from community.threads import actions as thread_actions
from tests.communities.helpers import set_visibility
from tests.factories import join, make_user
from tests.resources.helpers import details, live, pdf_upload, reload, run, submit


def visible(user, resource_id) -> bool:
    db.session.rollback()
    try:
        actions.access_resource(live(user) if user else None, resource_id)
    except NotFound:
        return False
    return True


def listed(user, **filters) -> list[int]:
    db.session.rollback()
    page = queries.browse(live(user) if user else None, queries.Filters(**filters))
    return [r.id for r in page.items]


def found(user, words: str) -> list[str]:
    db.session.rollback()
    return [r.url for r in search(live(user) if user else None, words, Filters()).items]


def events(resource_id) -> list[str]:
    rows = db.session.scalars(
        select(ResourceEvent.action)
        .where(ResourceEvent.resource_id == resource_id)
        .order_by(ResourceEvent.id)
    )
    return list(rows)


def notes_for(user, kind: str) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def decisions(outbox) -> list:
    """The mail about resource decisions (not the sign-up mail of the test's members)."""
    return [m for m in outbox.deliver() if m["Subject"].startswith("Your resource")]


# --- submitting -----------------------------------------------------------------------------


def test_a_members_submission_waits_for_review_and_its_moderators_are_told(alice, mod, admin):
    resource_id = submit(alice)
    resource = reload(resource_id)
    assert resource.status == "pending"
    assert resource.published_at is None
    assert [v.number for v in resource.versions] == [1]
    assert resource.versions[0].filename == "report.pdf"
    assert [t.name for t in resource.tags] == ["social value", "tenders"]
    assert resource.date_label == "March 2007"
    assert events(resource_id) == ["submitted"]
    assert [n.url for n in notes_for(mod, "resource_review")] == [f"/resources/{resource_id}"]
    # Admins hear only when a community has no moderator.
    assert notes_for(admin, "resource_review") == []
    assert [r.id for r in queries.awaiting_review(live(mod))] == [resource_id]
    assert [r.id for r in queries.submitted_by(live(alice))] == [resource_id]


def test_without_moderators_the_admins_are_told(alice, admin):
    resource_id = submit(alice)
    assert [n.url for n in notes_for(admin, "resource_review")] == [f"/resources/{resource_id}"]


@pytest.mark.parametrize("who", ["mod", "admin"])
def test_curators_own_submissions_publish_directly(request, who, alice):
    user = request.getfixturevalue(who)
    if who == "admin":
        join(user, "procurement")
    resource_id = submit(user)
    resource = reload(resource_id)
    assert resource.status == "published"
    assert resource.published_at is not None
    assert events(resource_id) == ["published"]
    assert listed(alice) == [resource_id]


def test_pending_is_seen_only_by_submitter_and_its_curators(
    alice, bob, mod, other_mod, stranger, admin
):
    resource_id = submit(alice)
    assert visible(alice, resource_id)
    assert visible(mod, resource_id)
    assert visible(admin, resource_id)
    assert not visible(bob, resource_id)
    assert not visible(other_mod, resource_id)
    assert not visible(stranger, resource_id)
    assert not visible(None, resource_id)
    for user in (alice, bob, mod, admin, None):
        assert listed(user) == []
        assert found(user, "social value") == []


def test_approval_publishes_tells_the_submitter_in_app_and_by_mail(alice, bob, mod, outbox):
    resource_id = submit(alice)
    run(actions.approve_resource, mod, resource_id)
    resource = reload(resource_id)
    assert resource.status == "published"
    assert events(resource_id) == ["submitted", "approved"]
    [note] = notes_for(alice, "resource_approved")
    assert (note.phrase, note.subject) == ("published your resource", "Social value in procurement")
    messages = decisions(outbox)
    assert [m["To"] for m in messages] == ["alice@example.org"]
    assert messages[0]["Subject"] == "Your resource is published: Social value in procurement"
    assert "published the resource you shared" in outbox.text(messages[0])
    assert f"http://localhost/resources/{resource_id}" in outbox.text(messages[0])
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "resource.approve"))
    assert audit.actor_id == mod.id
    assert audit.target_id == resource_id
    for user in (alice, bob, None):
        assert visible(user, resource_id)
        assert listed(user) == [resource_id]
        assert found(user, "toolkit buyers") == [f"/resources/{resource_id}"]


def test_asking_for_changes_sends_it_back_and_resubmission_returns_it(alice, mod, outbox):
    resource_id = submit(alice)
    with pytest.raises(Invalid) as refused:
        run(actions.request_changes, mod, resource_id, reason="  ")
    assert refused.value.field == "reason"
    run(actions.request_changes, mod, resource_id, reason="Please add the year.")
    assert reload(resource_id).status == "changes_requested"
    assert "Please add the year." in outbox.text(decisions(outbox)[0])
    assert notes_for(alice, "resource_changes")[0].excerpt == "Please add the year."
    # The submitter edits and sends it back.
    run(actions.edit_resource, alice, resource_id, details(published="2007"))
    resource = reload(resource_id)
    assert resource.status == "pending"
    assert resource.date_label == "2007"
    assert events(resource_id) == ["submitted", "changes_requested", "resubmitted"]
    assert len(notes_for(mod, "resource_review")) == 2


def test_rejection_needs_a_reason_and_hides_it_from_everyone_else(alice, bob, mod):
    resource_id = submit(alice)
    with pytest.raises(Invalid):
        run(actions.reject_resource, mod, resource_id, reason="")
    run(actions.reject_resource, mod, resource_id, reason="Out of scope for this community.")
    assert reload(resource_id).status == "rejected"
    assert visible(alice, resource_id)
    assert visible(mod, resource_id)
    assert not visible(bob, resource_id)
    assert notes_for(alice, "resource_rejected")[0].excerpt == "Out of scope for this community."
    # A rejected resource is no longer the submitter's to change.
    with pytest.raises(Forbidden):
        run(actions.edit_resource, alice, resource_id, details(title="Try again"))


def test_only_curators_decide(alice, bob, other_mod, mod):
    resource_id = submit(alice)
    for user in (alice,):
        with pytest.raises(Forbidden):
            run(actions.approve_resource, user, resource_id)
    for user in (bob, other_mod):
        with pytest.raises(NotFound):
            run(actions.approve_resource, user, resource_id)
    with pytest.raises(Forbidden):
        run(actions.reject_resource, alice, resource_id, reason="mine")
    assert reload(resource_id).status == "pending"


def test_a_moderator_of_one_of_its_communities_curates_it(alice, other_mod):
    join(alice, "finance")
    resource_id = submit(alice, communities=["procurement", "finance"])
    assert [c.slug for c in reload(resource_id).communities] == ["procurement", "finance"]
    run(actions.approve_resource, other_mod, resource_id)
    assert reload(resource_id).status == "published"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "novel"}, "kind"),
        ({"communities": []}, "communities"),
        ({"communities": ["finance"]}, "communities"),  # not a member there
        ({"communities": ["no-such-place"]}, "communities"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "ftp://example.org/file"}, "link"),
        ({"link": "https://"}, "link"),
        ({"published": "Sept 2006"}, "published"),
        ({"published": "2006-13"}, "published"),
        ({"published": "1066"}, "published"),
        ({"licence": "mine"}, "licence"),
        ({"tags": "a, b, c, d, e, f"}, "tags"),
        ({"summary": "x" * 10_001}, "summary"),
        ({"organisation_id": 999_999}, "organisation"),
    ],
)
def test_bad_details_are_refused_with_the_field_named(alice, overrides, field):
    with pytest.raises(Invalid) as refused:
        submit(alice, **overrides)
    assert refused.value.field == field
    db.session.rollback()
    assert listed(alice) == []
    assert queries.submitted_by(live(alice)) == []


def test_a_file_or_a_link_is_needed(alice):
    with pytest.raises(Invalid) as refused:
        submit(alice, upload=None)
    assert refused.value.field == "file"
    resource_id = submit(alice, upload=None, link="https://example.org/paper")
    assert reload(resource_id).link_url == "https://example.org/paper"


def test_strangers_and_signed_out_visitors_cannot_submit(stranger):
    with pytest.raises(Invalid):
        submit(stranger)
    with pytest.raises(Forbidden), atomic():
        actions.submit_resource(None, details(), upload=pdf_upload())


def test_summary_markdown_is_sanitised(alice):
    resource_id = submit(alice, summary="<script>alert(1)</script> [x](javascript:alert(1))")
    html = reload(resource_id).summary_html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text


# --- after publication ----------------------------------------------------------------------


def published(alice, mod, **overrides) -> int:
    resource_id = submit(alice, **overrides)
    run(actions.approve_resource, mod, resource_id)
    return resource_id


def test_feature_and_archive(alice, bob, mod):
    resource_id = published(alice, mod)
    with pytest.raises(Forbidden):
        run(actions.set_featured, alice, resource_id, True)
    run(actions.set_featured, mod, resource_id, True)
    db.session.rollback()
    assert [r.id for r in queries.featured(live(bob))] == [resource_id]
    run(actions.set_archived, mod, resource_id, True, reason="Superseded by the 2009 edition")
    resource = reload(resource_id)
    assert resource.status == "archived"
    assert not resource.featured
    assert visible(bob, resource_id)  # kept and reachable...
    assert listed(bob) == []  # ...out of the default listing and search
    assert listed(bob, archived=True) == [resource_id]
    assert found(bob, "toolkit") == []
    with pytest.raises(Invalid):
        run(actions.set_featured, mod, resource_id, True)
    run(actions.set_archived, mod, resource_id, False)
    assert listed(bob) == [resource_id]
    assert events(resource_id) == [
        "submitted", "approved", "featured", "archived", "unarchived",
    ]  # fmt: skip


def test_edits_by_curators_are_audited_and_the_submitter_cannot_edit_once_published(
    alice, mod, bob
):
    resource_id = published(alice, mod)
    with pytest.raises(Forbidden):
        run(actions.edit_resource, alice, resource_id, details(title="New title"))
    with pytest.raises(Forbidden):
        run(actions.edit_resource, bob, resource_id, details(title="New title"))
    run(actions.edit_resource, mod, resource_id, details(title="Buying for social value"))
    assert reload(resource_id).title == "Buying for social value"
    assert found(bob, "buying") == [f"/resources/{resource_id}"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "resource.edit"))


def test_versions_keep_earlier_files(alice, mod, bob):
    resource_id = published(alice, mod)
    run(actions.add_version, mod, resource_id, pdf_upload("report v2.pdf"), note="Corrected")
    resource = reload(resource_id)
    assert [(v.number, v.filename) for v in resource.versions] == [
        (2, "report v2.pdf"), (1, "report.pdf"),
    ]  # fmt: skip
    assert resource.versions[0].note == "Corrected"
    _, first = actions.version_for_download(live(bob), resource_id, 1)
    _, latest = actions.version_for_download(live(bob), resource_id, None)
    assert (first.number, latest.number) == (1, 2)
    with pytest.raises(NotFound):
        actions.version_for_download(live(bob), resource_id, 3)
    with pytest.raises(Forbidden):
        run(actions.add_version, bob, resource_id, pdf_upload())


def test_downloads_are_counted(alice, mod):
    resource_id = published(alice, mod)
    for _ in range(3):
        with atomic():
            actions.count_download(reload(resource_id))
    assert reload(resource_id).download_count == 3
    assert listed(alice, sort="downloads") == [resource_id]


# --- members-only communities ---------------------------------------------------------------


def test_members_only_resources_are_invisible_outside(alice, mod, stranger, communities):
    set_visibility("procurement", "members")
    resource_id = published(alice, mod)
    assert visible(alice, resource_id)
    assert not visible(stranger, resource_id)
    assert not visible(None, resource_id)
    assert listed(stranger) == []
    assert listed(None) == []
    assert found(stranger, "toolkit") == []
    assert found(alice, "toolkit")


def test_a_resource_in_a_public_and_a_members_only_community_is_public(alice, mod, stranger):
    join(alice, "health")
    set_visibility("procurement", "members")
    resource_id = published(alice, mod, communities=["procurement", "health"])
    assert visible(stranger, resource_id)
    assert found(stranger, "toolkit") == [f"/resources/{resource_id}"]


# --- discussion -----------------------------------------------------------------------------


def test_the_first_message_starts_the_discussion_and_later_ones_reply(alice, bob, mod, stranger):
    resource_id = published(alice, mod)
    first = run(actions.discuss, bob, resource_id, body="Has anyone used this?")
    second = run(actions.discuss, alice, resource_id, body="Yes, in Leeds.")
    db.session.rollback()
    resource = reload(resource_id)
    assert resource.thread_id is not None
    thread = thread_actions.access_thread(live(bob), resource.thread_id)
    assert thread.title == resource.title
    assert thread.community.slug == "procurement"
    assert [p.id for p in queries.latest_posts(thread)] == [first.id, second.id]
    with pytest.raises(Forbidden):
        run(actions.discuss, stranger, resource_id, body="Hello")


def test_pending_resources_cannot_be_discussed(alice):
    resource_id = submit(alice)
    with pytest.raises(Forbidden):
        run(actions.discuss, alice, resource_id, body="Early thoughts")


def test_threads_that_link_to_a_resource_are_listed_on_it(alice, bob, mod):
    resource_id = published(alice, mod)
    with atomic():
        thread = thread_actions.start_thread(
            live(bob), "procurement", title="Tender scoring",
            body=f"See http://localhost/resources/{resource_id} and /resources/{resource_id}.",
        )  # fmt: skip
        thread_id, post_id = thread.id, thread.last_post_id
    with atomic():
        thread_actions.start_thread(
            live(bob), "procurement", title="Elsewhere",
            body=f"Not ours: https://example.org/resources/{resource_id}",
        )  # fmt: skip
    assert [t.id for t in queries.discussed_in(live(alice), reload(resource_id))] == [thread_id]
    with atomic():
        thread_actions.delete_post(live(bob), post_id)
    assert queries.discussed_in(live(alice), reload(resource_id)) == []


def test_discussed_in_hides_threads_the_reader_cannot_read(alice, bob, mod, stranger):
    join(bob, "health")
    resource_id = published(alice, mod)
    with atomic():
        thread_actions.start_thread(
            live(bob), "health", title="In health", body=f"/resources/{resource_id}"
        )
    set_visibility("health", "members")
    assert len(queries.discussed_in(live(bob), reload(resource_id))) == 1
    assert queries.discussed_in(live(stranger), reload(resource_id)) == []


# --- browsing -------------------------------------------------------------------------------


def test_browse_filters_and_sorts(alice, mod):
    a = published(alice, mod, title="Alpha guide", kind="toolkit", published="2006-09", tags="x")
    b = published(alice, mod, title="beta report", kind="evaluation-report", published="2008")
    c = published(alice, mod, title="Gamma", kind="toolkit", published="", upload=None,
                  link="https://example.org/g")  # fmt: skip
    assert listed(alice) == [b, a, c]  # newest first; undated last
    assert listed(alice, sort="title") == [a, b, c]
    assert listed(alice, kind="toolkit") == [a, c]
    assert listed(alice, year=2006) == [a]
    assert listed(alice, tag="x") == [a]
    choices = queries.filter_choices(live(alice))
    assert choices["years"] == [2008, 2006]


def test_browse_pages_with_a_cursor(alice, mod, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    ids = [published(alice, mod, title=f"R{i}", published=f"200{i}") for i in range(5)]
    seen, after = [], None
    while True:
        db.session.rollback()
        page = queries.browse(live(alice), queries.Filters(), after=after)
        seen += [r.id for r in page.items]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == list(reversed(ids))


def test_a_second_member_of_the_community_is_a_reader_too(communities, alice, mod):
    resource_id = published(alice, mod)
    newcomer = make_user(communities=("procurement",))
    assert visible(newcomer, resource_id)


def test_files_count_against_the_upload_limit_in_the_actions(app, alice):
    """Submitting with a file and adding a version are limited by the actions themselves
    (every path: pages, CLI, tests); a link needs no upload and is not counted."""
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "upload_account": "2 per hour"}
    resource_id = submit(alice)
    run(actions.add_version, alice, resource_id, pdf_upload("second.pdf"))
    with pytest.raises(TooMany, match="too often"):
        run(actions.add_version, alice, resource_id, pdf_upload("third.pdf"))
    with pytest.raises(TooMany):
        submit(alice, title="Another file")
    submit(alice, upload=None, link="https://example.org/guide", title="A link only")
    assert sorted(v.filename for v in reload(resource_id).versions) == ["report.pdf", "second.pdf"]
