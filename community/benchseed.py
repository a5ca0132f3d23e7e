"""`flask bench seed`: a network's worth of benchmark data, made in bulk.

The seed step's communities and organisations, then members across the organisations,
threads of long-tailed lengths (a few very long), reactions, read positions, watching,
notifications, resources, events and chat history — inserted in batches through SQLAlchemy
Core (one executemany per batch, never one action per post). Everything the actions keep
derived is written with the rows: thread and community counters and last-post columns, chat
rooms' last numbers, resources' download counts, one search document per thread, reply,
resource and event (the full-text index follows from the migrations' own triggers on SQLite
and the generated column on PostgreSQL); the network health rollup is rebuilt at the end,
then the planner's statistics (ANALYZE).

Bodies are sentences drawn from a Zipf-like vocabulary (`vocabulary()`, a few real words of the
network's trade and thousands of made-up ones, some two-word phrases), written only with
letters, commas and full stops, so their HTML is the paragraphs wrapped in <p> — exactly
what `community.markup.render` makes of them (the tests check it). A search benchmark finds
common words (`common_words()`: in 10–50% of documents), rare ones and the phrases there.
"""

import random
import sys
import time
from bisect import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate

import click
from flask.cli import AppGroup
from sqlalchemy import func, select, text

from .extensions import db
from .search.models import SQLITE_FULL_TEXT_REBUILD

PASSWORD = "bench-commons"  # noqa: S105 (published: every benchmark member signs in with it)
DOMAIN = "bench.example"
DAYS = 730  # the history spans two years up to now
BATCH = 5_000  # rows per executemany
SEED = 17


def _words(text: str, sep: str | None = None) -> list[str]:
    return list(dict.fromkeys(" ".join(w.split()) for w in text.split(sep) if w.strip()))


# --- the vocabulary ---------------------------------------------------------------------------

# The network's own words take the top ranks, the phrases are spread among them; made-up words
# (syllables) make the long tail. Stop words go between them and are not counted as units.
TRADE_WORDS = _words(
    """
funding partnership social enterprise council training health procurement impact network
project support value report local community members evidence contract tender budget
learning workforce business finance measurement outcomes volunteers youth employment housing
skills mentoring grants charity board governance strategy commissioning service delivery
pilot toolkit survey outcome baseline framework referral wellbeing advice coaching
apprenticeship income trading investment loan capital accounts audit risk policy
consultation response regional national programme partner agency trust network meeting
workshop conference webinar podcast guidance template checklist monitoring evaluation
quality standards safeguarding equality diversity inclusion access rural urban digital
"""
)
PHRASES = _words(
    """
social value, supply chain, impact report, theory of change, living wage, local authority,
health board, business plan, cash flow, match funding, peer support, case study, steering
group, action plan, annual report, job coaching, social return, mental health, open data,
soft outcomes, public sector, framework agreement, dynamic purchasing, community asset,
volunteer hours, learning network, equal pay, trading income, grant funding, exit strategy
""",
    sep=",",
)
JOINERS = ["the", "and", "of", "to", "for", "with", "in", "on", "our", "a", "we", "is"]
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
MADE_UP = 4_000
ZIPF_S = 1.05
FIRST = _words(
    """
Aisha Ben Carys Dev Elin Farid Grace Hamza Iona Jonah Keira Luis Mair Nadia Owen Priya Quinn
Rhys Sana Tomasz Una Vikram Wren Yusuf Zofia Alys Bilal Cerys Dylan Efa
"""
)
LAST = _words(
    """
Okafor Pryce Llewellyn Khan Morgan Novak Adeyemi Hughes Fraser Castillo Evans Kowalski
Rahman Doyle Mensah Pritchard Sato Reilly Ahmed Whitfield
"""
)


def _made_up_words(rng: random.Random, n: int, syllables=(2, 3, 3, 4)) -> list[str]:
    parts = [c + v for c in CONSONANTS for v in VOWELS]
    words: set[str] = set()
    while len(words) < n:
        word = "".join(rng.choice(parts) for _ in range(rng.choice(syllables)))
        words.add(word + rng.choice(("", "", "n", "r", "l", "t")))
    return sorted(words)


def _vocabulary() -> list[str]:
    """The units by rank: the trade words with a phrase every few ranks, then made-up words."""
    rng = random.Random(SEED)
    units = list(TRADE_WORDS)
    for i, phrase in enumerate(PHRASES):
        units.insert(8 + i * 4, phrase)
    return units + _made_up_words(rng, MADE_UP)


@cache
def vocabulary() -> list[str]:
    """The units by rank (made on first use: the CLI imports this module with every app)."""
    return _vocabulary()


@cache
def _cumulative() -> list[float]:
    return list(accumulate(1 / (rank**ZIPF_S) for rank in range(1, len(vocabulary()) + 1)))


def common_words() -> list[str]:
    """The single words of the top ranks: each in roughly 10–50% of the documents."""
    return [w for w in vocabulary()[4:40] if " " not in w]


@cache
def _rare_words() -> list[str]:
    known = set(vocabulary())
    words = _made_up_words(random.Random(SEED + 1), RARE + len(known), syllables=(4, 5))
    return [w for w in words if w not in known][:RARE]


RARE = 20_000
RARE_SHARE = 0.3  # of posts: each names one rare word (at 1,000,000 posts, each in ~15)


def rare_words() -> list[str]:
    """Words outside the vocabulary that a few posts each name (`RARE_SHARE`): the rarest
    searches. The vocabulary's own tail is rare too (a few hundredths of a percent)."""
    return list(_rare_words())


# --- bodies -------------------------------------------------------------------------------------


class Writer:
    """Sentences from the vocabulary, and posts made of them (source and HTML together)."""

    POOL = 40_000  # distinct sentences; a post is a few of them, so posts rarely repeat

    def __init__(self, rng: random.Random, pool: int = POOL):
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(pool)]

    def _units(self, k: int) -> list[str]:
        units, cumulative = vocabulary(), _cumulative()
        top = cumulative[-1]
        return [units[bisect(cumulative, self.rng.random() * top)] for _ in range(k)]

    def _sentence(self) -> str:
        words = []
        for unit in self._units(self.rng.randint(4, 14)):
            if words and self.rng.random() < 0.4:
                words.append(self.rng.choice(JOINERS))
            words.append(unit)
        if len(words) > 6 and self.rng.random() < 0.3:
            words[len(words) // 2] += ","
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def title(self) -> str:
        text = " ".join(self._units(self.rng.randint(3, 7)))
        return text[0].upper() + text[1:]

    def sentence_count(self) -> int:
        roll = self.rng.random()
        if roll < 0.01:
            return self.rng.randint(20, 40)  # the odd long post
        return min(1 + int(self.rng.expovariate(0.45)), 14)

    def post(self) -> tuple[str, str]:
        """(Markdown source, its HTML): paragraphs of a few sentences each."""
        picked = self.rng.choices(self.sentences, k=self.sentence_count())
        paragraphs, i = [], 0
        while i < len(picked):
            step = self.rng.randint(1, 4)
            paragraphs.append(" ".join(picked[i : i + step]))
            i += step
        if self.rng.random() < RARE_SHARE:
            paragraphs[-1] += f" Ask about {self.rng.choice(_rare_words())}."
        source = "\n\n".join(paragraphs)
        return source, "\n".join(f"<p>{p}</p>" for p in paragraphs)


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class Plan:
    posts: int
    members: int = 5_000
    threads: int | None = None  # default: 20,000, fewer for small --posts (posts / 50)
    long_threads: int = 3
    long_length: int | None = None  # default: 10,000, at most a tenth of the posts each
    seed: int = SEED
    days: int = DAYS  # how far back the history goes

    def __post_init__(self):
        if self.posts < 1 or self.members < 1:
            raise ValueError("--posts and --members must be at least 1")
        if self.threads is None:
            self.threads = max(1, min(20_000, self.posts // 50))
        self.threads = min(self.threads, self.posts)
        if self.long_length is None:
            self.long_length = min(10_000, self.posts // 10)
        self.long_threads = min(self.long_threads, self.threads)
        others = self.threads - self.long_threads
        if self.long_length < 1 or self.long_threads * self.long_length > self.posts - others:
            self.long_threads, self.long_length = 0, 0

    def thread_lengths(self, rng: random.Random) -> list[int]:
        """Long-tailed: most threads a handful of posts, a few hundreds, `long_threads` of
        `long_length`; they add up to `posts` exactly."""
        others = self.threads - self.long_threads
        spare = self.posts - self.long_threads * self.long_length - others
        weights = [rng.lognormvariate(0, 1.6) for _ in range(others)]
        total = sum(weights) or 1
        lengths = [1 + int(spare * w / total) for w in weights]
        for i in (
            rng.choices(
                range(others), k=self.posts - sum(lengths) - self.long_threads * self.long_length
            )
            if others
            else []
        ):
            lengths[i] += 1
        lengths += [self.long_length] * self.long_threads
        rng.shuffle(lengths)
        return lengths


class Refused(Exception):
    pass


@dataclass
class Summary:
    rows: Counter = field(default_factory=Counter)
    table_seconds: Counter = field(default_factory=Counter)  # in the database, per table
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        width = max(len(t) for t in self.rows)
        out = [
            f"{table:<{width}} {n:>10,} rows {self.table_seconds[table]:6.1f} s"
            for table, n in sorted(self.rows.items())
        ]
        out.append(", ".join(f"{step} {s:.1f} s" for step, s in self.seconds.items()))
        out.append(
            f"Members sign in as member<id>@{DOMAIN} (e.g. {self.first_member}), "
            f"password {PASSWORD}; the admin is admin@{DOMAIN}."
        )
        return out

    first_member: str = ""


# --- writing ------------------------------------------------------------------------------------


class Inserter:
    """Rows collected per table and written in batches, tables in the order first used (a
    table's rows may refer to those of a table written before it)."""

    def __init__(self, conn, summary: Summary):
        self.conn, self.summary = conn, summary
        self.pending: dict[str, list[dict]] = {}

    def add(self, table: str, **row) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if rows:
                began = time.perf_counter()
                if self.conn.dialect.name == "postgresql":
                    self._copy(table, rows)
                else:
                    self.conn.execute(db.metadata.tables[table].insert(), rows)
                self.summary.rows[table] += len(rows)
                self.summary.table_seconds[table] += time.perf_counter() - began
                rows.clear()

    def _copy(self, table: str, rows: list[dict]) -> None:
        """PostgreSQL: COPY, in the same transaction (an executemany waits on every row)."""
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = self.conn.connection.dbapi_connection.cursor()
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


class Ids:
    """The next free id of each table (with --force the data goes after what is there)."""

    def __init__(self, conn):
        self.conn, self.next = conn, {}

    def take(self, table: str) -> int:
        if table not in self.next:
            t = db.metadata.tables[table]
            self.next[table] = (self.conn.scalar(select(func.max(t.c.id))) or 0) + 1
        self.next[table] += 1
        return self.next[table] - 1


def existing_content() -> str | None:
    """What the database holds beyond the seed step's rows, or None when nothing."""
    from .accounts.models import User
    from .threads.models import Thread

    users = db.session.scalar(select(func.count()).select_from(User))
    threads = db.session.scalar(select(func.count()).select_from(Thread))
    db.session.rollback()
    if users or threads:
        return f"{users:,} accounts and {threads:,} threads"
    return None


def seed_bench(plan: Plan, *, force: bool = False, progress: Callable[[int], None] | None = None):
    """Fill the configured database (migrated) with `plan`'s data; returns a Summary. Refuses a
    database with accounts or threads in it unless `force` (then the data is added to it)."""
    from .seed import seed

    found = existing_content()
    if found and not force:
        raise Refused(
            f"This database already holds {found}; the benchmark data goes into a "
            "fresh one (or give --force to add it to this one)."
        )
    summary = Summary()
    started = time.perf_counter()
    seed()
    rng = random.Random(plan.seed)
    writer = Writer(rng, pool=min(Writer.POOL, max(1_000, plan.posts // 5)))
    with db.engine.begin() as conn:
        afterwards = _speed_up(conn)
        world = _World(conn, Inserter(conn, summary), Ids(conn), rng, writer, plan)
        world.members_and_memberships()
        world.threads_and_posts(progress or (lambda _posts: None))
        world.reads_and_notifications()
        world.chat()
        world.resources()
        world.events()
        world.inserter.flush()
        world.counters()
        _restart_sequences(conn, world.ids.next)
        step = time.perf_counter()
        for statement in afterwards:
            conn.exec_driver_sql(statement)
        if afterwards:
            summary.seconds["full-text index"] = time.perf_counter() - step
        summary.first_member = f"member{world.members[0]}@{DOMAIN}"
    summary.seconds["inserts"] = time.perf_counter() - started
    step = time.perf_counter()
    from .network_health.rollup import refresh

    refresh(rebuild=True)
    summary.seconds["health rollup"] = time.perf_counter() - step
    step = time.perf_counter()
    analyze()
    summary.seconds["analyze"] = time.perf_counter() - step
    summary.seconds["total"] = time.perf_counter() - started
    return summary


def _speed_up(conn) -> list[str]:
    """Settings for the load; the statements that remake what it set aside, for afterwards."""
    if conn.dialect.name == "sqlite":
        # One long transaction: a bigger page cache keeps the indexes being built in memory.
        conn.exec_driver_sql("PRAGMA cache_size = -400000")
        # The FTS5 indexes are rebuilt once at the end instead of row by row through the
        # triggers (553 s against 143 s of CPU at 1M posts), which are put back from their
        # own definitions.
        triggers = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                 "AND tbl_name = 'search_document'")
        ).all()  # fmt: skip
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        rebuild = list(SQLITE_FULL_TEXT_REBUILD)
        return [*rebuild, *(sql for _name, sql in triggers)] if triggers else []
    # PostgreSQL: the full-text GIN index is built once at the end (about three times faster
    # than keeping it row by row), from its own definition, so the schema is as migrated.
    rows = conn.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_document' "
             "AND indexdef LIKE '%USING gin%'")
    ).all()  # fmt: skip
    for name, _definition in rows:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return ["SET LOCAL maintenance_work_mem = '256MB'"] + [d for _n, d in rows] if rows else []


def _restart_sequences(conn, next_ids: dict[str, int]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table, next_id in next_ids.items():
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), :n, false)"),
            {"n": next_id},
        )


def analyze() -> None:
    """The planner's statistics, after a bulk load (SQLite: ANALYZE, then PRAGMA optimize)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA optimize")
        conn.commit()


class _World:
    """The data being made, and what later steps need of what earlier ones made."""

    def __init__(self, conn, inserter: Inserter, ids: Ids, rng, writer: Writer, plan: Plan):
        from .db import utcnow

        self.conn, self.inserter, self.ids, self.rng = conn, inserter, ids, rng
        self.writer, self.plan = writer, plan
        self.now = utcnow().replace(microsecond=0)
        self.days = plan.days
        self.start = self.now - timedelta(days=self.days)
        tables = db.metadata.tables
        c, o, r = tables["community"], tables["organisation"], tables["chat_room"]
        self.communities = [
            row.id
            for row in conn.execute(
                select(c.c.id).where(c.c.archived_at.is_(None)).order_by(c.c.position)
            )
        ]
        self.organisations = list(conn.scalars(select(o.c.id).order_by(o.c.id)))
        self.organisation_names = dict(conn.execute(select(o.c.id, o.c.name)).all())
        self.rooms = {
            row.target_id: (row.id, row.last_number, row.last_message_at)
            for row in conn.execute(
                select(r.c.target_id, r.c.id, r.c.last_number, r.c.last_message_at).where(
                    r.c.kind == "community"
                )
            )
        }
        self.members: list[int] = []
        self.by_community: dict[int, list[int]] = {c: [] for c in self.communities}
        self.joined_at: dict[int, datetime] = {}
        # Per community: [(thread id, last number, last post at, author, title, last posts)]
        self.threads: dict[int, list[tuple]] = {c: [] for c in self.communities}
        self.posts_in: Counter = Counter()
        self.latest: dict[int, datetime] = {}

    def at(self, days: float) -> datetime:
        return self.start + timedelta(days=days)

    def members_and_memberships(self) -> None:
        from .accounts import passwords

        hashed = passwords.hash_password(PASSWORD)  # once: every member has the same password
        u = db.metadata.tables["user"]
        taken = self.conn.scalar(select(u.c.id).where(u.c.email == f"admin@{DOMAIN}"))
        add, rng = self.inserter.add, self.rng
        for i in range(self.plan.members + 1):
            uid = self.ids.take("user")
            admin = i == self.plan.members
            name = "Bench Admin" if admin else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            joined = self.at(rng.random() * self.days * 0.3)
            org = rng.choice(self.organisations) if self.organisations else None
            add(
                "user",
                id=uid,
                email=(f"admin{uid}" if taken else "admin") + f"@{DOMAIN}"
                if admin
                else f"member{uid}@{DOMAIN}",
                display_name=name,
                sort_name=name.lower(),
                password_hash=hashed,
                organisation_id=None if admin or rng.random() < 0.1 else org,
                organisation_other="Bench" if admin else "",
                bio="",
                bio_html="",
                avatar_sha256=None,
                timezone="Europe/London",
                site_role="admin" if admin else "member",
                verified_at=joined,
                suspended_at=None,
                suspended_until=None,
                suspension_reason="",
                digest_frequency="off",
                digest_day=0,
                digest_hour=8,
                email_stopped_at=None,
                bounce_count=0,
                email_bounced_at=None,
                session_generation=1,
                pending_email=None,
                last_seen_at=self.at(self.days - rng.random() * 30),
                created_at=joined,
                profile_hidden_at=None,
                profile_hidden_reason="",
                awaiting_approval_since=None,
            )
            if admin:
                self.admin = uid
                continue
            self.members.append(uid)
            # Most members in one or two communities, some in many; the first ones weighted.
            k = min(len(self.communities), 1 + int(rng.expovariate(0.9)))
            chosen = set(
                rng.choices(self.communities, weights=range(len(self.communities) + 8, 8, -1), k=k)
            )
            for community in sorted(chosen):
                self.by_community[community].append(uid)
            self.joined_at[uid] = joined
        self.inserter.flush()  # the users before the memberships that name them
        for community, uids in self.by_community.items():
            moderator = rng.choice(uids) if uids else None
            for uid in uids:
                role = "moderator" if uid == moderator else "member"
                self.inserter.add(
                    "membership",
                    id=self.ids.take("membership"),
                    user_id=uid,
                    community_id=community,
                    role=role,
                    created_at=self.joined_at[uid],
                    suspended_until=None,
                    suspended_reason="",
                )

    # --- threads and their posts -------------------------------------------------------------

    def threads_and_posts(self, progress: Callable[[int], None]) -> None:
        from .threads.actions import _slugify

        rng, add = self.rng, self.inserter.add
        weights = list(range(len(self.communities) + 3, 3, -1))  # the first ones busier
        for length in self.plan.thread_lengths(rng):
            community = rng.choices(self.communities, weights=weights)[0]
            people = self.by_community[community] or self.members
            thread_id, title = self.ids.take("thread"), self.writer.title()
            # Most threads a day or two of replies; the long ones run through the two years.
            span = (
                self.days * 0.9 if length >= 1_000 else min(self.days * 0.5, rng.expovariate(1) * 3)
            )
            begun = self.at(rng.random() * (self.days - span))
            gap = span * 86_400 / max(length, 1)
            posts, when = [], begun
            for number in range(1, length + 1):
                if number > 1:
                    when += timedelta(seconds=1 + rng.expovariate(1 / gap))
                author = posts[0]["author_id"] if posts and rng.random() < 0.1 else None
                posts.append(
                    self._post(
                        thread_id, number, author or rng.choice(people), min(when, self.now), posts
                    )
                )
            last = posts[-1]
            add(
                "thread",
                id=thread_id,
                community_id=community,
                author_id=posts[0]["author_id"],
                title=title,
                slug=_slugify(title),
                pinned=rng.random() < 0.002,
                locked=False,
                post_count=length,
                last_number=length,
                last_post_at=last["created_at"],
                last_post_id=last["id"],
                created_at=begun,
                deleted_at=None,
                hidden_at=None,
                merged_into_id=None,
            )
            for post in posts:
                add("post", **post)
                self._index_post(post, title, community)
                self._react(post, people)
            add(
                "subscription",
                id=self.ids.take("subscription"),
                user_id=posts[0]["author_id"],
                thread_id=thread_id,
                community_id=None,
                watching=True,
                created_at=begun,
            )
            self.threads[community].append(
                (thread_id, length, last["created_at"], title, posts[0]["author_id"], posts[-5:])
            )
            self.posts_in[community] += length
            self.latest[community] = max(self.latest.get(community, begun), last["created_at"])
            progress(length)

    def _post(self, thread_id: int, number: int, author: int, when: datetime, earlier) -> dict:
        source, html = self.writer.post()
        reply_to = None
        if number > 2 and self.rng.random() < 0.25:
            reply_to = earlier[self.rng.randrange(max(0, len(earlier) - 20), len(earlier))]["id"]
        return dict(
            id=self.ids.take("post"),
            thread_id=thread_id,
            number=number,
            author_id=author,
            source=source,
            html=html,
            reply_to_id=reply_to,
            client_token=None,
            created_at=when,
            edited_at=None,
            deleted_at=None,
            deleted_by_id=None,
            hidden_at=None,
            hidden_reason="",
            moderator_edit_reason="",
            moderator_edited_by_id=None,
        )

    def _index_post(self, post: dict, title: str, community: int) -> None:
        """What threads.receivers.index_post writes: the first post stands for its thread."""
        first = post["number"] == 1
        object_id = post["thread_id"] if first else post["id"]
        self._document(
            "thread" if first else "post",
            object_id,
            title=title,
            body=post["source"],
            url=f"/t/{object_id}" if first else f"/p/{object_id}",
            community_id=community,
            author_id=post["author_id"],
            created_at=post["created_at"],
            thread_id=post["thread_id"],
        )

    def _document(self, kind: str, object_id: int, **values) -> None:
        from .search.queries import clean_for_index

        values["title"] = clean_for_index(values["title"])[:300]
        values["body"] = clean_for_index(values["body"])
        values.setdefault("thread_id", None)
        self.inserter.add(
            "search_document",
            id=self.ids.take("search_document"),
            kind=kind,
            object_id=object_id,
            **values,
        )

    def _react(self, post: dict, people: list[int]) -> None:
        rng = self.rng
        if rng.random() >= 0.12:
            return
        from .threads.models import REACTIONS

        for user in set(rng.choices(people, k=rng.randint(1, 3))):
            self.inserter.add(
                "reaction",
                id=self.ids.take("reaction"),
                post_id=post["id"],
                user_id=user,
                kind=rng.choice(list(REACTIONS)),
                created_at=post["created_at"] + timedelta(minutes=rng.randint(1, 600)),
            )

    # --- reading and being told ----------------------------------------------------------------

    def reads_and_notifications(self) -> None:
        """Each member has read some threads of their communities to the end, some part-way
        (so both read and unread threads list for them); thread authors were told of the
        latest replies to their threads (the older ones read)."""
        rng, add = self.rng, self.inserter.add
        for community, uids in self.by_community.items():
            threads = self.threads[community]
            if not threads:
                continue
            for uid in uids:
                for thread_id, length, last_at, *_ in rng.sample(threads, min(len(threads), 12)):
                    upto = length if rng.random() < 0.6 else rng.randint(0, length - 1)
                    add(
                        "thread_read",
                        id=self.ids.take("thread_read"),
                        user_id=uid,
                        thread_id=thread_id,
                        last_read_number=upto,
                        updated_at=last_at,
                    )
            for _thread_id, _length, _last, title, author, last_posts in threads:
                for post in last_posts:
                    if post["author_id"] == author or post["number"] == 1:
                        continue
                    excerpt = " ".join(post["source"].split())
                    excerpt = excerpt if len(excerpt) <= 280 else excerpt[:279] + "…"
                    read = post is not last_posts[-1] or rng.random() < 0.5
                    add(
                        "notification",
                        id=self.ids.take("notification"),
                        user_id=author,
                        kind="reply",
                        actor_id=post["author_id"],
                        community_id=community,
                        target_kind="post",
                        target_id=post["id"],
                        dedupe_key=f"reply:post:{post['id']}",
                        subject=title[:200],
                        excerpt=excerpt[:300],
                        created_at=post["created_at"],
                        read_at=post["created_at"] + timedelta(hours=2) if read else None,
                        email_state="sent",
                        emailed_at=post["created_at"],
                    )

    # --- chat ----------------------------------------------------------------------------------

    def chat(self) -> None:
        """A tenth as many messages as posts, in the communities' rooms, oldest first."""
        rng, add = self.rng, self.inserter.add
        total = self.plan.posts // 10
        self.last_message: dict[int, tuple[int, datetime]] = {}
        for community, (room, last, last_at) in self.rooms.items():
            if community not in self.by_community:
                continue
            people = self.by_community[community] or self.members
            count = total // max(len(self.rooms), 1)
            when = max(self.start, last_at or self.start)  # after what the room holds
            # (At least a second apart: a forced rerun may start where the last one ended.)
            step = max((self.now - when).total_seconds() / max(count, 1), 1.0)
            for number in range(1, count + 1):
                when = min(when + timedelta(seconds=rng.expovariate(1 / step)), self.now)
                body = rng.choice(self.writer.sentences)
                message_id = self.ids.take("chat_message")
                add(
                    "chat_message",
                    id=message_id,
                    room_id=room,
                    number=last + number,
                    author_id=rng.choice(people),
                    client_id=f"bench-{message_id}",
                    body=body,
                    html=f"<p>{body}</p>",
                    created_at=when,
                    edited_at=None,
                    deleted_at=None,
                    deleted_by_id=None,
                    hidden_at=None,
                    hidden_reason="",
                )
            if count:
                self.last_message[room] = (last + count, when)
                for uid in people:
                    if rng.random() < 0.5:
                        add(
                            "chat_read",
                            id=self.ids.take("chat_read"),
                            user_id=uid,
                            room_id=room,
                            last_read_number=last + rng.randint(max(count - 200, 0), count),
                        )

    # --- resources and events ------------------------------------------------------------------

    def resources(self) -> None:
        """Published link resources (with tags, kinds, licences, organisations to facet on)
        and their downloads by day."""
        from .resources.models import KINDS, LICENCES

        rng, add = self.rng, self.inserter.add
        tags = [w for w in TRADE_WORDS[:40]]
        for n in range(max(1, min(500, self.plan.posts // 200))):
            rid, title = self.ids.take("resource"), self.writer.title()
            summary, summary_html = self.writer.post()
            kind, org = rng.choice(list(KINDS)), rng.choice(self.organisations)
            submitter = rng.choice(self.members)
            published = self.at(rng.random() * self.days)
            community = rng.choice(self.communities)
            days = sorted(
                {
                    (published + timedelta(days=rng.randrange(0, 200))).date()
                    for _ in range(rng.randint(0, 12))
                }
            )
            days = [d for d in days if d <= self.now.date()]
            counts = [rng.randint(1, 9) for _ in days]
            add(
                "resource",
                id=rid,
                title=title,
                sort_title=title.lower(),
                summary=summary,
                summary_html=summary_html,
                kind=kind,
                status="published",
                featured=n == 0 or rng.random() < 0.05,
                organisation_id=org,
                published_on=published.date(),
                date_precision="month",
                licence=rng.choice(list(LICENCES)),
                link_url=f"https://{DOMAIN}/r/{rid}",
                availability_note="",
                submitter_id=submitter,
                thread_id=None,
                download_count=sum(counts),
                version_count=0,
                created_at=published,
                updated_at=published,
                published_at=published,
                hidden_at=None,
                hidden_reason="",
            )
            add("resource_community", resource_id=rid, community_id=community)
            chosen = sorted(set(rng.choices(tags, k=rng.randint(0, 3))))
            for tag in chosen:
                add(
                    "resource_tag",
                    id=self.ids.take("resource_tag"),
                    resource_id=rid,
                    name=tag,
                    slug=tag,
                )
            for day, n in zip(days, counts, strict=True):
                add("resource_download_day", resource_id=rid, day=day, count=n)
            words = [summary, KINDS[kind], self.organisation_names[org], *chosen]
            self._document(
                "resource",
                rid,
                title=title,
                body="\n".join(words),
                url=f"/resources/{rid}",
                community_id=community,
                author_id=submitter,
                created_at=datetime.combine(published.date(), datetime.min.time()),
            )

    def events(self) -> None:
        """Past (their rooms closed) and coming events, most in a community, with answers."""
        rng, add = self.rng, self.inserter.add
        for n in range(max(2, min(200, self.plan.posts // 2_000))):
            eid, title = self.ids.take("event"), self.writer.title()
            description, description_html = self.writer.post()
            community = rng.choice(self.communities) if rng.random() < 0.8 else None
            people = self.by_community.get(community) or self.members
            # Two years of them and two months ahead (the first always ahead: an upcoming one).
            ahead = rng.random() * 60 if n == 0 else rng.random() * (self.days + 60) - self.days
            starts = (self.now + timedelta(days=ahead)).replace(minute=0, second=0)
            ends, organiser = starts + timedelta(hours=rng.choice((1, 2, 3, 6))), rng.choice(people)
            location = rng.choice(("Newport", "Cardiff", "Swansea", "Online", "Wrexham"))
            add(
                "event",
                id=eid,
                title=title,
                description=description,
                description_html=description_html,
                community_id=community,
                organiser_id=organiser,
                starts_at=starts,
                ends_at=ends,
                timezone="Europe/London",
                location=location,
                join_url=None,
                capacity=rng.choice((None, None, 40, 100)),
                rsvp_deadline=None,
                cancelled_at=None,
                cancel_reason="",
                sequence=0,
                room_state="closed" if ends < self.now else "scheduled",
                record_id=None,
                hidden_at=None,
                hidden_reason="",
                created_at=starts - timedelta(days=30),
                updated_at=starts - timedelta(days=30),
            )
            for uid in rng.sample(people, min(len(people), 30)):
                answered = starts - timedelta(days=rng.randint(1, 25))
                add(
                    "event_rsvp",
                    id=self.ids.take("event_rsvp"),
                    event_id=eid,
                    user_id=uid,
                    status=rng.choice(("going", "going", "maybe", "not_going")),
                    waiting_since=None,
                    created_at=answered,
                    updated_at=answered,
                )
            body = " ".join(description.split())
            self._document(
                "event",
                eid,
                title=title,
                body=f"{body}\n{location}",
                url=f"/events/{eid}",
                community_id=community,
                author_id=organiser,
                created_at=starts,
            )

    # --- what the actions keep derived -----------------------------------------------------------

    def counters(self) -> None:
        """The communities' counters and last activity, the rooms' last messages: added to
        what was there (with --force the database may hold more than this run made)."""
        tables = db.metadata.tables
        c, r = tables["community"], tables["chat_room"]
        for community in self.communities:
            latest = self.latest.get(community)
            values = dict(
                member_count=c.c.member_count + len(self.by_community[community]),
                thread_count=c.c.thread_count + len(self.threads[community]),
                post_count=c.c.post_count + self.posts_in[community],
            )
            if latest is not None:
                values["last_activity_at"] = func.coalesce(
                    func.max(c.c.last_activity_at, latest)
                    if self.conn.dialect.name == "sqlite"
                    else func.greatest(c.c.last_activity_at, latest),
                    latest,
                )
            self.conn.execute(c.update().where(c.c.id == community).values(**values))
        for room, (number, when) in self.last_message.items():
            self.conn.execute(
                r.update().where(r.c.id == room).values(last_number=number, last_message_at=when)
            )


# --- the command ------------------------------------------------------------------------------

bench_cli = AppGroup("bench", help="Benchmark data (never for a live site).")


@bench_cli.command("seed")
@click.option(
    "--posts",
    type=click.IntRange(1, 5_000_000),
    default=1_000_000,
    show_default=True,
    help="Posts in all (first posts included).",
)
@click.option("--members", type=click.IntRange(1), default=5_000, show_default=True)
@click.option(
    "--threads",
    type=click.IntRange(1),
    default=None,
    help="Threads [default: 20,000, or posts/50 when that is fewer].",
)
@click.option(
    "--long-threads",
    type=click.IntRange(0),
    default=3,
    show_default=True,
    help="Very long threads among them.",
)
@click.option(
    "--long-length",
    type=click.IntRange(1),
    default=None,
    help="Posts in each very long thread [default: 10,000, at most posts/10].",
)
@click.option(
    "--days",
    type=click.IntRange(1),
    default=DAYS,
    show_default=True,
    help="Days of history, up to now.",
)
@click.option(
    "--seed",
    "random_seed",
    type=int,
    default=SEED,
    show_default=True,
    help="The random seed: the same options make the same data.",
)
@click.option(
    "--force", is_flag=True, help="Add the data to a database that already has accounts or threads."
)
def bench_seed(posts, members, threads, long_threads, long_length, days, random_seed, force):
    """Fill the configured database with benchmark data in bulk: the seed step's
    communities and organisations, members, long-tailed threads, reactions, reads,
    notifications, resources, events and chat, every counter and the search index in step.
    Refuses a database with accounts or threads unless --force."""
    plan = Plan(
        posts=posts,
        members=members,
        threads=threads,
        long_threads=long_threads,
        long_length=long_length,
        seed=random_seed,
        days=days,
    )
    try:
        with click.progressbar(length=plan.posts, label="posts", file=sys.stderr) as bar:
            summary = seed_bench(plan, force=force, progress=bar.update)
    except Refused as exc:
        raise click.ClickException(str(exc)) from exc
    for line in summary.lines():
        click.echo(line)
