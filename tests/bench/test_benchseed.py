"""`flask bench seed`: the bulk data agrees with everything the actions keep derived, and the
site serves it (on SQLite and on PostgreSQL)."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from community import markup
from community.benchseed import Plan, Writer, common_words, rare_words, seed_bench, vocabulary
from community.chat.models import ChatMessage, ChatRoom
from community.communities.models import Community, Membership
from community.db import utcnow
from community.events.links import event_url
from community.events.models import Event
from community.extensions import db
from community.notifications.models import Notification
from community.resources.models import Resource, ResourceDownloadDay, ResourceVersion
from community.search.models import SearchDocument
from community.search.queries import Filters, search
from community.threads.models import Post, Thread, ThreadRead
from tests.communities.helpers import count_statements

SMALL = dict(members=40, threads=20, long_threads=1, long_length=400, days=40)


def _seed(posts: int, **options):
    summary = seed_bench(Plan(posts=posts, **{**SMALL, **options}), force=True)
    db.session.rollback()
    return summary


def _counts(*columns, where=None, group=None):
    stmt = select(*columns)
    if where is not None:
        stmt = stmt.where(where)
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt.group_by(group))}


def assert_consistent() -> None:
    """Every counter and last-post column as the tables themselves say."""
    posts = _counts(Post.thread_id, func.count(), func.max(Post.number), func.max(Post.created_at),
                    group=Post.thread_id)  # fmt: skip
    for t in db.session.scalars(select(Thread)):
        count, last_number, last_at = posts[t.id]
        last_id = db.session.scalar(
            select(Post.id).where(Post.thread_id == t.id, Post.number == last_number)
        )
        assert (t.post_count, t.last_number, t.last_post_at, t.last_post_id) == (
            count, last_number, last_at, last_id,
        ), t.id  # fmt: skip
    threads = _counts(Thread.community_id, func.count(), func.sum(Thread.post_count),
                      func.max(Thread.last_post_at), group=Thread.community_id)  # fmt: skip
    members = _counts(Membership.community_id, func.count(), group=Membership.community_id)
    for c in db.session.scalars(select(Community)):
        count, post_count, latest = threads.get(c.id, (0, 0, None))
        assert (c.thread_count, c.post_count, c.last_activity_at) == (count, post_count, latest)
        assert c.member_count == members.get(c.id, (0,))[0]
    messages = _counts(ChatMessage.room_id, func.max(ChatMessage.number),
                       func.max(ChatMessage.created_at), func.count(),
                       group=ChatMessage.room_id)  # fmt: skip
    for room in db.session.scalars(select(ChatRoom)):
        last, when, count = messages.get(room.id, (None, None, 0))
        assert (room.last_number, room.last_message_at) == (last or 0, when)
        assert count == (last or 0)  # numbered 1, 2, 3… without gaps
    downloads = _counts(ResourceDownloadDay.resource_id, func.sum(ResourceDownloadDay.count),
                        group=ResourceDownloadDay.resource_id)  # fmt: skip
    versions = _counts(ResourceVersion.resource_id, func.count(), group=ResourceVersion.resource_id)
    for r in db.session.scalars(select(Resource)):
        assert r.download_count == downloads.get(r.id, (0,))[0]
        assert r.version_count == versions.get(r.id, (0,))[0]


def assert_indexed() -> None:
    """One search document per thread, reply, resource and event, as the receivers write
    them, and the full-text index in step with the documents."""
    expected = {
        ("thread", t.id): (t.title, f"/t/{t.id}") for t in db.session.scalars(select(Thread))
    }
    first = dict(
        db.session.execute(select(Post.thread_id, Post.source).where(Post.number == 1)).all()
    )
    for p in db.session.scalars(select(Post).where(Post.number > 1)):
        expected["post", p.id] = (p.thread.title, f"/p/{p.id}")
    for r in db.session.scalars(select(Resource)):
        expected["resource", r.id] = (r.title, f"/resources/{r.id}")
    for e in db.session.scalars(select(Event)):
        expected["event", e.id] = (e.title, event_url(e.id))
    docs = {(d.kind, d.object_id): d for d in db.session.scalars(select(SearchDocument))}
    assert {k: (d.title, d.url) for k, d in docs.items()} == expected
    for thread_id, source in first.items():
        assert docs["thread", thread_id].body == source
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
        )
        fts = db.session.scalar(text("SELECT count(*) FROM search_fts"))
        # Set aside for the load, the triggers are back as the migration made them.
        triggers = db.session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                 "AND tbl_name = 'search_document'")
        )  # fmt: skip
        assert set(triggers) == {
            "search_document_ai", "search_document_ad", "search_document_au",
            "search_document_titles_ai", "search_document_titles_ad", "search_document_titles_au",
        }  # fmt: skip
        # (Rank 0: the title index holds only some rows of its content table, by design.)
        db.session.execute(
            text("INSERT INTO search_fts_titles(search_fts_titles, rank) "
                 "VALUES ('integrity-check', 0)")
        )  # fmt: skip
        # (Its docsize table has a row per document indexed; the FTS5 table reads the content.)
        titles = set(db.session.scalars(text("SELECT id FROM search_fts_titles_docsize")))
        assert titles == {d.id for d in docs.values() if d.kind != "post"}
    else:
        fts = db.session.scalar(text("SELECT count(search_vector) FROM search_document"))
        # Set aside for the load, the GIN index is back as the migration made it.
        definition = db.session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_document_vector'")
        )
        assert definition.endswith("USING gin (search_vector)"), definition
        titles = db.session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_document_title'")
        )
        assert titles.endswith("WHERE ((kind)::text <> 'post'::text)"), titles
    assert fts == len(docs)


def test_seeds_consistent_data_that_search_and_pages_serve(app, client, browser):
    summary = _seed(3000)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 3000
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 20
    lengths = sorted(db.session.scalars(select(Thread.post_count)))
    assert 400 in lengths  # the long one
    assert lengths[len(lengths) // 2] < 100  # most are short
    assert summary.rows["post"] == 3000
    assert_consistent()
    assert_indexed()

    # The stored HTML is what markup makes of the source.
    rng = random.Random(1)
    sample = rng.sample(list(db.session.scalars(select(Post))), 100)
    for post in sample:
        assert post.html == markup.render(post.source)
    for message in db.session.scalars(select(ChatMessage).limit(50)):
        assert message.html == markup.render(message.body)
    for resource in db.session.scalars(select(Resource)):
        assert resource.summary_html == markup.render(resource.summary)

    # A post is found by a word of it, among those of its author at its moment.
    for post in sample[:25]:
        word = next(w for w in post.source.split() if w.strip(",.").lower() in vocabulary())
        at = post.created_at
        moment = Filters(author_ids=(post.author_id,), since=at, until=at + timedelta(seconds=1))
        page = search(None, word.strip(",."), moment)
        wanted = f"/t/{post.thread_id}" if post.number == 1 else f"/p/{post.id}"
        assert wanted in {r.url for r in page.items}, (word, wanted)

    # Members have read threads and unread ones, and notifications both read and not.
    behind = ThreadRead.last_read_number < Thread.last_number
    reads = (
        select(func.count()).select_from(ThreadRead).join(Thread, Thread.id == ThreadRead.thread_id)
    )
    assert db.session.scalar(reads.where(behind)) > 0
    assert db.session.scalar(reads.where(~behind)) > 0
    assert db.session.scalar(select(func.count()).where(Notification.read_at.is_(None))) > 0

    # Every thread page and the home page, anonymous and as a member.
    member = db.session.scalar(select(Membership.user_id).order_by(Membership.user_id).limit(1))
    threads = [t.id for t in db.session.scalars(select(Thread))]
    db.session.rollback()
    for signed_in in (False, True):
        if signed_in:
            browser.login(f"member{member}@bench.example", "bench-commons")
        assert client.get("/").status_code == 200
        for thread_id in threads:
            assert client.get(f"/t/{thread_id}").status_code == 200, thread_id


def test_thread_page_statements_do_not_grow_with_the_data(app, client, browser):
    _seed(600, threads=10, long_length=100)
    longest = db.session.scalar(select(Thread.id).order_by(Thread.post_count.desc()).limit(1))
    db.session.rollback()
    urls = ["/", f"/t/{longest}", f"/t/{longest}?page=3"]

    def counts():
        out = {}
        for url in urls:
            client.get(url)
            with app.app_context(), count_statements() as statements:
                assert client.get(url).status_code == 200
            out[url] = len(statements)
        return out

    few = counts()
    _seed(5000, seed=3, threads=40, long_length=1000)  # --force: added to what is there
    assert_consistent()
    many = counts()
    assert many == few


def test_refuses_a_database_with_content_unless_forced(app):
    small = ["--posts", "50", "--members", "5", "--long-threads", "0", "--days", "20"]
    result = app.test_cli_runner().invoke(args=["bench", "seed", *small])
    assert result.exit_code == 0, result.output
    assert "50 rows" in result.output
    again = app.test_cli_runner().invoke(args=["bench", "seed", "--posts", "50"])
    assert again.exit_code != 0
    assert "--force" in again.output
    assert db.session.scalar(select(func.count()).select_from(Post)) == 50
    oldest = db.session.scalar(select(func.min(Post.created_at)))
    assert oldest >= utcnow() - timedelta(days=21)  # --days 20 reached the plan


def test_vocabulary_has_common_and_rare_words():
    """Over a few thousand bodies, the common words each turn up in 10–50% of them (Zipf:
    the tail words in very few)."""
    writer = Writer(random.Random(5))
    bodies = [set(writer.post()[0].lower().replace(",", "").replace(".", "").split())
              for _ in range(3000)]  # fmt: skip
    share = {w: sum(w in b for b in bodies) / len(bodies) for w in common_words()}
    assert all(0.05 < s < 0.7 for s in share.values()), share
    assert sum(0.1 <= s <= 0.5 for s in share.values()) >= len(share) // 2, share
    tail = vocabulary()[-1000:]
    assert max(sum(w in b for b in bodies) for w in tail) < 0.01 * len(bodies)
    known = set(rare_words())
    rare = Counter(w for b in bodies for w in b if w in known)
    assert 0.2 * len(bodies) < sum(rare.values()) < 0.4 * len(bodies)
    assert max(rare.values()) < 5


@pytest.mark.parametrize("posts", [1, 7, 333, 20_000])
def test_thread_lengths_add_up(posts):
    plan = Plan(posts=posts)
    lengths = plan.thread_lengths(random.Random(2))
    assert sum(lengths) == posts
    assert len(lengths) == plan.threads
    assert min(lengths) >= 1
