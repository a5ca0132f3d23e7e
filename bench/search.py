"""Search benchmark: 20 fixed queries — rare words, common words (in 10–50% of documents),
two-word phrases and filters (community, kind, author, dates) — each the first page of
results (the top 20, with snippets) of `/search` on the production server command, anonymous
and signed in, p50 and p95 per query and over all of them, at each size on each backend.

The words are picked at the start of each run by counting document frequencies in a sample of
the seeded search documents (so they stay right when the generator changes), and the
documents each query matches are counted exactly with the backend's own full-text match; both
are printed and reported.

`python -m bench search` (`make bench`): 10,000 and 1,000,000 posts on SQLite and PostgreSQL.
A quick run: `python -m bench search --posts 10000 --backends sqlite --runs 5`.
"""

import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from .data import PASSWORD, Dataset, Options, bench_member, run_sets
from .harness import percentile, serve, sign_in

SAMPLE = 20_000  # documents read to count word frequencies
COMMON_SHARES = (0.10, 0.17, 0.25, 0.35, 0.50)  # the common words sought, as shares of documents
_TOKEN = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Query:
    kind: str  # rare word, common word, phrase, filtered
    q: str
    filters: dict[str, str] = field(default_factory=dict)  # the /search view's parameters
    sample_share: float = 0.0  # of the sampled documents holding every word
    matching: int = 0  # documents the backend's full-text match finds (before filters)
    results: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)  # visitor: seconds

    @property
    def path(self) -> str:
        return "/search?" + urlencode({"q": self.q, **self.filters})

    @property
    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.filters.items())
        return f"“{self.q}”" + (f" ({extra})" if extra else "")


# --- the words --------------------------------------------------------------------------------


@dataclass
class Vocabulary:
    documents: int  # sampled
    words: Counter  # documents of the sample holding each word
    bigrams: Counter  # documents of the sample holding each pair of adjacent words

    def share(self, *words: str) -> float:
        if len(words) == 1:
            return self.words[words[0]] / self.documents
        return self.bigrams[words] / self.documents


def vocabulary(data: Dataset, sample: int = SAMPLE) -> Vocabulary:
    """Word and adjacent-pair document frequencies over an even sample of the documents."""
    from sqlalchemy import func, select

    from community.extensions import db
    from community.search.models import SearchDocument
    from community.search.queries import STOP_WORDS

    words, bigrams = Counter(), Counter()
    with data.app().app_context():
        total = db.session.scalar(select(func.count()).select_from(SearchDocument))
        step = max(1, total // sample)
        rows = db.session.execute(
            select(SearchDocument.title, SearchDocument.body).where(SearchDocument.id % step == 0)
        )
        documents = 0
        for title, body in rows:
            documents += 1
            tokens = [t.lower() for t in _TOKEN.findall(f"{title}\n{body}")]
            tokens = [t if t not in STOP_WORDS else None for t in tokens]
            words.update({t for t in tokens if t})
            bigrams.update(
                {(a, b) for a, b in zip(tokens, tokens[1:], strict=False) if a and b and a != b}
            )
    return Vocabulary(documents, words, bigrams)


def nearest(vocab: Vocabulary, share: float, taken: set[str], n: int = 1) -> list[str]:
    """The `n` words whose share of the sample is nearest `share`."""
    candidates = [w for w in vocab.words if w not in taken]
    return sorted(candidates, key=lambda w: (abs(vocab.share(w) - share), w))[:n]


def common_word(data: Dataset) -> str:
    """A word in about a sixth of the documents (the page benchmark's search)."""
    return nearest(vocabulary(data, sample=5_000), 0.17, set())[0]


class Index:
    """The backend's own full-text match, for counting what a query's words find."""

    def __init__(self, data: Dataset):
        from sqlalchemy import func, select

        from community.extensions import db
        from community.search.models import SearchDocument

        self.backend, self.db = data.backend, db
        self.documents = db.session.scalar(select(func.count()).select_from(SearchDocument))
        if data.backend == "sqlite":
            self.source = (
                "FROM search_document d JOIN search_fts ON search_fts.rowid = d.id "
                "WHERE search_fts MATCH :q"
            )
        else:
            self.source = (
                "FROM search_document d WHERE d.search_vector @@ plainto_tsquery('english', :q)"
            )

    def _value(self, q: str) -> str:
        from community.search.queries import query_terms

        terms = query_terms(q)
        return " ".join(f'"{t}"' for t in terms) if self.backend == "sqlite" else " ".join(terms)

    def count(self, q: str) -> int:
        from sqlalchemy import text

        return self.db.session.scalar(text(f"SELECT count(*) {self.source}"), {"q": self._value(q)})  # noqa: S608 (our own fragments)

    def median_day(self, q: str, matching: int):
        """The day of the middle one (by date) of the documents `q` matches."""
        from datetime import date

        from sqlalchemy import text

        moment = self.db.session.scalar(
            text(f"SELECT d.created_at {self.source} ORDER BY d.created_at LIMIT 1 OFFSET :n"),  # noqa: S608
            {"q": self._value(q), "n": matching // 2},
        )
        return date.fromisoformat(str(moment)[:10])


def pick_queries(data: Dataset, vocab: Vocabulary) -> list[Query]:
    """The 20 queries: each common word is the candidate (of the four nearest in the sample)
    whose exact share is nearest its target; the rare words are the five of 25 spread over the
    rarest fiftieth of the sample's words that the index finds in the fewest documents."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from community.accounts.models import User
    from community.communities.models import Community
    from community.extensions import db
    from community.search.models import SearchDocument

    with data.app().app_context():
        index = Index(data)
        exact = {}

        def share(word: str) -> float:
            if word not in exact:
                exact[word] = index.count(word)
            return exact[word] / max(index.documents, 1)

        common: list[str] = []
        for target in COMMON_SHARES:
            candidates = nearest(vocab, target, set(common), n=4)
            common.append(min(candidates, key=lambda w: (abs(share(w) - target), w)))
        ordered = sorted(vocab.words, key=lambda w: (vocab.words[w], w))
        rarest = ordered[: max(25, len(ordered) // 50)]
        spread = [rarest[i * len(rarest) // 25] for i in range(25)]
        rare = sorted((w for w in spread if share(w) > 0), key=lambda w: (exact[w], w))[:5]
        pairs = sorted(vocab.bigrams, key=lambda p: (-vocab.bigrams[p], p))
        phrases = [" ".join(pairs[min(i, len(pairs) - 1)]) for i in (0, 10, 50, 200)]
        public = (Community.visibility == "public", Community.archived_at.is_(None))
        slug = db.session.scalar(
            select(Community.slug).join(SearchDocument).where(*public)
            .group_by(Community.id).order_by(func.count().desc(), Community.id).limit(1)
        )  # fmt: skip
        author = db.session.scalar(
            select(User.display_name).join(SearchDocument, SearchDocument.author_id == User.id)
            .group_by(User.id).order_by(func.count().desc(), User.id).limit(1)
        )  # fmt: skip
        middle = index.median_day(common[3], exact[common[3]])
        window = {"from": str(middle - timedelta(days=45)), "to": str(middle + timedelta(days=45))}
        queries = [Query("rare word", w) for w in rare]
        queries += [Query("common word", w) for w in common]
        queries += [Query("phrase", p) for p in phrases]
        queries += [
            Query("filtered", common[0], {"community": slug}),
            Query("filtered", common[1], {"what": "discussions"}),
            Query("filtered", common[2], {"what": "resources"}),
            Query("filtered", common[0], {"author": author}),
            Query("filtered", common[3], window),
            Query("filtered", phrases[0], {"community": slug, "what": "discussions"}),
        ]
        for query in queries:
            words = query.q.split()
            query.sample_share = vocab.share(*words) if len(words) < 3 else 0.0
            query.matching = exact[query.q] if query.q in exact else index.count(query.q)
    return queries


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Measured:
    data: str
    label: str
    backend: str
    posts: int
    documents: int
    sampled: int
    queries: list[Query]

    def overall(self, who: str) -> list[float]:
        return [t for q in self.queries for t in q.times[who]]


def measure(data: Dataset, options: Options) -> Measured:
    vocab = vocabulary(data)
    queries = pick_queries(data, vocab)
    print(f"   words (documents matching, of {data.counts['documents']:,}; share of the "
          f"{vocab.documents:,} sampled):", flush=True)  # fmt: skip
    for q in queries:
        print(f"   {q.kind:12} {q.label}: {q.matching:,} ({q.sample_share:.1%})", flush=True)
    email = bench_member(data)
    with serve(data.env) as server:
        visitors = {"anonymous": requests.Session(), "signed in": requests.Session()}
        visitors["signed in"].cookies.update(sign_in(server.url, email, PASSWORD))
        for query in queries:
            for who, session in visitors.items():
                query.times[who] = _timed(session, server.url + query.path, options.runs, query)
    return Measured(data.describe(), data.label, data.backend, data.counts["posts"],
                    data.counts["documents"], vocab.documents, queries)  # fmt: skip


def _timed(session: requests.Session, url: str, runs: int, query: Query) -> list[float]:
    times = []
    for n in range(runs + 1):  # the first warms the page
        started = time.perf_counter()
        response = session.get(url, timeout=120)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        if 'role="alert"' in response.text:
            raise RuntimeError(f"{url}: the search form refused the query")
        query.results = response.text.count('<p class="meta">')
        if n:
            times.append(elapsed)
    return times


# --- the report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def table(m: Measured) -> list[str]:
    lines = [
        f"### {m.label}",
        "",
        f"{m.data}. Words picked from a sample of {m.sampled:,} documents; “matching” is what "
        f"the backend's full-text index finds for the words (before filters and permissions).",
        "",
        "| # | query | kind | matching | results | anonymous p50 / p95 ms "
        "| signed in p50 / p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, q in enumerate(m.queries, 1):
        share = q.matching / m.documents if m.documents else 0
        cells = [str(n), q.label, q.kind, f"{q.matching:,} ({share:.1%})", str(q.results)]
        for who in ("anonymous", "signed in"):
            t = q.times[who]
            cells.append(f"{_ms(statistics.median(t))} / {_ms(percentile(t, 95))}")
        lines.append("| " + " | ".join(cells) + " |")
    for who in ("anonymous", "signed in"):
        t = m.overall(who)
        lines.append(
            f"| | all 20, {who} | | | | p50 {_ms(statistics.median(t))} ms, "
            f"p95 {_ms(percentile(t, 95))} ms | |"
        )
    return lines


def targets(sets: list[Measured]) -> list[str]:
    lines = ["### Targets (issue 17)", ""]
    for m in sets:
        for who in ("anonymous", "signed in"):
            t = m.overall(who)
            p50, p95 = statistics.median(t), percentile(t, 95)
            ok = p50 < 0.05 and p95 < 0.2
            lines.append(
                f"- {m.label}, {who}: p50 {_ms(p50)} ms, p95 {_ms(p95)} ms over the 20 queries "
                f"(target p50 < 50 ms and p95 < 200 ms at 1,000,000 posts: "
                f"{'met' if ok else 'NOT met'} at this size)."
            )
    return lines


def report(sets: list[Measured], options: Options) -> str:
    lines = [
        f"`/search` on the production server command (`gunicorn -c gunicorn.conf.py`), one "
        f"client with keep-alive, {options.runs} timed requests per query and visitor after one "
        f"warm-up; each is the first page of results (the top 20, with snippets). Signed in: an "
        f"ordinary member in the most communities.",
        "",
    ]
    for m in sets:
        lines += table(m) + [""]
    lines += targets(sets)
    return "\n".join(lines)


def run(options: Options) -> str:
    return run_sets(options, name="bench_search", measure=measure, report=report, section="Search")


def main(argv: list[str]) -> str:
    return run(Options.parse(argv, "python -m bench search"))
