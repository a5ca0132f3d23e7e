"""`flask demo load` includes the resource bank: the record's outputs as archive entries at
the precision the record gives, and demo files that are real files of their types, in every
state a moderator meets."""

import hashlib
import re

import feedparser
import pytest
from sqlalchemy import func, select

from community.accounts.models import User
from community.communities.models import Membership
from community.demo import ADMIN_EMAIL
from community.extensions import db
from community.resources import queries
from community.resources.demo import NOT_HELD, RECORD_TAG, record_kind
from community.resources.models import KINDS, Resource, ResourceEvent, ResourceVersion
from community.seed import load_record
from tests.conftest import load_demo
from tests.filesamples import mp3_duration

SITE = "https://commons.example.org"


@pytest.fixture
def app_settings():
    return {"SITE_URL": SITE}


@pytest.fixture
def demo(app):
    return load_demo(app)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def download(client, resource_id: int, number: int):
    response = client.get(f"/resources/{resource_id}/versions/{number}/download")
    data = response.get_data()
    response.close()
    return response, data


def check_pdf(data: bytes) -> None:
    """A PDF whose cross-reference table points at each of its objects, and whose content
    stream is as long as it says."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", data)[1])
    assert data[startxref:].startswith(b"xref\n")
    offsets = [int(o) for o in re.findall(rb"^(\d{10}) 00000 n ", data[startxref:], re.M)]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj" % number)
    length, stream = re.search(
        rb"<< /Length (\d+) >>\nstream\n(.*?)\nendstream", data, re.S
    ).groups()
    assert int(length) == len(stream)


def test_the_records_outputs_are_archive_entries_at_the_records_precision(demo):
    assert "19 archive resources from the record" in demo
    record = load_record()["resources"]
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    entries = {
        r.title: r
        for r in db.session.scalars(select(Resource).where(Resource.availability_note == NOT_HELD))
    }
    assert len(entries) == len(record) == 19
    for item in record:
        resource = entries[item["title"]]
        assert resource.status == "published"
        assert resource.kind == record_kind(item["kind"]) != "other"
        assert [c.slug for c in resource.communities] == [item["community"]]
        assert resource.date_value == item["date"]  # "2006-10" stays a month, "2007" a year
        assert resource.submitter_id == admin.id
        assert resource.versions == []
        assert resource.link_url is None
        assert [t.name for t in resource.tags] == [RECORD_TAG]
        if "note" in item:
            assert f"({item['note']})" in resource.summary
        if "organisation" in item:
            assert resource.organisation.name == item["organisation"]

    assert entries["Business Support policy paper"].kind == "policy-paper"
    assert entries["Business Support policy paper"].date_precision == "month"
    assert entries["Business Support policy paper"].date_label == "October 2006"
    assert entries["Equal podcasts"].date_precision == "year"
    assert entries["Equal podcasts"].date_label == "2007"
    assert "seven episodes" in entries["Equal podcasts"].summary


def test_the_record_kinds_map_onto_the_banks_kinds():
    assert record_kind("policy paper") == "policy-paper"
    assert record_kind("Consultation response") == "consultation-response"
    assert record_kind("marketing  material") == "marketing-material"
    assert record_kind("something new") == "other"
    assert {record_kind(r["kind"]) for r in load_record()["resources"]} <= set(KINDS) - {"other"}


def test_the_demo_files_download_and_show_moderators_every_state(demo, client):
    assert "6 demo resources (1 featured, 3 published, 1 pending, 1 changes requested)" in demo
    check_files(client)
    check_podcast(client)
    check_states()


def check_files(client) -> None:
    """Real files of their types, by fictional members, downloadable byte for byte."""
    files = db.session.scalars(
        select(Resource).where(Resource.version_count > 0).order_by(Resource.id)
    ).all()
    assert len(files) == 5
    for resource in files:
        assert "(demo)" in resource.title
        assert resource.submitter.email.endswith("@demo.example")
        assert "(demo)" in resource.organisation.name  # a fictional member's organisation
    published = [r for r in files if r.status == "published"]
    assert {r.latest_version.file_kind for r in published} == {"document", "audio"}
    for resource in published:
        for version in resource.versions:
            response, data = download(client, resource.id, version.number)
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith(version.content_type)
            assert hashlib.sha256(data).hexdigest() == version.sha256
            assert len(data) == version.size
            if version.content_type == "application/pdf":
                check_pdf(data)
            if version.content_type == "text/csv; charset=utf-8":
                header = data.decode("utf-8").splitlines()[0]
                assert header.startswith("outcome,indicator")
    # The one awaiting review is no one's to download but its submitter's and moderators'.
    [pending] = [r for r in files if r.status == "pending"]
    assert download(client, pending.id, 1)[0].status_code == 404


def check_podcast(client) -> None:
    """Two versions of a ~5 s episode, the latest in the community's podcast feed."""
    [episode] = db.session.scalars(
        select(Resource).where(Resource.kind == "podcast", Resource.version_count == 2)
    ).all()
    assert [c.slug for c in episode.communities] == ["equal-learning-network"]
    v2, v1 = episode.versions
    assert (v1.number, v2.number) == (1, 2)
    assert v2.note == "Shorter introduction."
    durations = [mp3_duration(download(client, episode.id, v.number)[1]) for v in (v1, v2)]
    assert durations[0] == pytest.approx(5.0, abs=0.05)
    assert durations[1] == pytest.approx(4.5, abs=0.05)

    feed = feedparser.parse(client.get("/c/equal-learning-network/podcast.xml").get_data())
    assert feed.bozo == 0
    by_id = {e.id: e for e in feed.entries}
    assert len(by_id) == 2
    [enclosure] = by_id[f"commons-resource-{episode.id}"].enclosures
    assert enclosure.href == f"{SITE}/resources/{episode.id}/versions/2/download"
    assert int(enclosure.length) == v2.size
    # The record's own "Equal podcasts" has no file: not an episode.
    assert all(e.title != "Equal podcasts" for e in feed.entries)


def check_states() -> None:
    """Featured, awaiting review (in its moderator's queue), sent back with a reason."""
    files = db.session.scalars(select(Resource).where(Resource.availability_note == "")).all()
    by_status = {}
    for resource in files:
        by_status.setdefault(resource.status, []).append(resource)
    assert len(by_status["pending"]) == 1
    assert len(by_status["changes_requested"]) == 1
    [featured] = [r for r in files if r.featured]
    assert featured.status == "published"
    assert queries.featured(None) == [featured]

    [pending] = by_status["pending"]
    moderator = db.session.scalar(select(User).where(User.id.in_(_moderators_of(pending))))
    assert queries.awaiting_review(moderator) == [pending]
    [sent_back] = by_status["changes_requested"]
    reasons = db.session.scalars(
        select(ResourceEvent.reason).where(
            ResourceEvent.resource_id == sent_back.id,
            ResourceEvent.action == "changes_requested",
        )
    ).all()
    assert len(reasons) == 1
    assert "upload the form itself" in reasons[0]


def _moderators_of(resource: Resource):
    return select(Membership.user_id).where(
        Membership.community_id == resource.communities[0].id, Membership.role == "moderator"
    )


def test_loading_the_demo_again_adds_no_resources(demo, app):
    before = (_count(Resource), _count(ResourceVersion), _count(ResourceEvent))
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    db.session.rollback()
    assert (_count(Resource), _count(ResourceVersion), _count(ResourceEvent)) == before
