"""Demo resources: the programme record's outputs as the archive, and a few invented files.

The record's nineteen outputs become published archive entries ("original document not
held"), dated to the precision the record gives. Around them, demo members share clearly
fictional files (a PDF case study, a CSV toolkit, a text checklist, a silent MP3 podcast with
two versions) through the real upload check and actions, and the moderators curate them, so
the demo shows every state: featured, published, awaiting review, changes requested.
"""

import math
import random
import textwrap

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import Organisation, User
from ..communities.models import Community, Membership
from ..extensions import db
from ..seed import load_record
from ..uploads import check_upload
from . import actions
from .actions import Details
from .models import KINDS

NOT_HELD = "Original document not held"
RECORD_TAG = "programme record"


# --- the record's outputs -------------------------------------------------------------------


def record_kind(word: str) -> str:
    """The record's words ("policy paper") as a kind key ("policy-paper"); else "other"."""
    key = "-".join(word.lower().split())
    return key if key in KINDS else "other"


def record_summary(entry: dict) -> str:
    note = entry.get("note", "").strip()
    listed = "Listed in the network's programme record"
    listed += f" ({note})." if note else "."
    return (
        f"{listed} The original document is not held here. If you have a copy, share it with "
        "this community's moderators so that it can be added."
    )


def _organisation_id(name: str | None) -> int | None:
    if not name:
        return None
    return db.session.scalar(
        select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    )


def archive_entries(admin: User, record: dict) -> int:
    for entry in record["resources"]:
        details = Details(
            title=entry["title"],
            kind=record_kind(entry["kind"]),
            communities=[entry["community"]],
            summary=record_summary(entry),
            organisation_id=_organisation_id(entry.get("organisation")),
            published=entry.get("date", ""),  # "2006-10" or "2007": the precision is kept
            tags=[RECORD_TAG],
        )
        actions.add_archive_entry(admin, details, note=NOT_HELD)
    return len(record["resources"])


# --- demo files, made here ------------------------------------------------------------------


def _pdf_text(value: str) -> bytes:
    """A PDF literal string's body in WinAnsi (cp1252), with its delimiters escaped."""
    raw = value.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_info_text(value: str) -> bytes:
    """A document-information string: UTF-16BE with its byte order mark, in hex."""
    return ("\ufeff" + value).encode("utf-16-be").hex().upper().encode("ascii")


def demo_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A one-page A4 PDF 1.4 with a heading and wrapped paragraphs in Helvetica (a standard
    font, so nothing is embedded), with a correct cross-reference table."""
    lines = [b"BT", b"/F1 17 Tf", b"56 780 Td", b"(" + _pdf_text(title) + b") Tj"]
    lines += [b"/F1 10.5 Tf", b"15 TL", b"0 -10 Td"]
    for paragraph in paragraphs:
        lines.append(b"T*")  # a blank line between paragraphs
        for line in textwrap.wrap(paragraph, 92):
            lines.append(b"(" + _pdf_text(line) + b") '")
    lines.append(b"ET")
    content = b"\n".join(lines)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Title <%s> /Producer (Commons demo) >>" % _pdf_info_text(title),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# MPEG-1 Layer III, no CRC, 32 kbit/s, 48 kHz, mono: 144 * 32000 / 48000 = 96 bytes a frame
# exactly (no padding ever needed), 1152 samples (24 ms) each. Zeroed side information and
# main data decode to silence.
MP3_HEADER = b"\xff\xfb\x14\xc4"
MP3_FRAME_BYTES = 96
MP3_FRAME_SECONDS = 1152 / 48_000


def _syncsafe(n: int) -> bytes:
    return bytes((n >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _id3_frame(frame_id: bytes, text: str) -> bytes:
    body = b"\x03" + text.encode("utf-8")  # 3: UTF-8
    return frame_id + _syncsafe(len(body)) + b"\x00\x00" + body


def silent_mp3(seconds: float, *, title: str, artist: str) -> bytes:
    """`seconds` of silence as constant-bitrate MP3 frames after an ID3v2.4 tag (title,
    artist and length, which players show)."""
    frames = math.ceil(seconds / MP3_FRAME_SECONDS)
    length_ms = round(frames * MP3_FRAME_SECONDS * 1000)
    tags = (
        _id3_frame(b"TIT2", title)
        + _id3_frame(b"TPE1", artist)
        + _id3_frame(b"TLEN", str(length_ms))
    )
    id3 = b"ID3\x04\x00\x00" + _syncsafe(len(tags)) + tags
    return id3 + (MP3_HEADER + bytes(MP3_FRAME_BYTES - len(MP3_HEADER))) * frames


TOOLKIT_CSV = """\
outcome,indicator,how to collect it,how often,effort
People gain skills,Number of people completing training,Attendance sheets,Monthly,Low
People gain skills,Share who say they feel more confident,Three-question exit survey,Each course,Low
People find work,Number moving into paid work within 6 months,Follow-up phone call,Quarterly,Medium
Organisations grow,Change in traded income,Annual accounts,Yearly,Low
Organisations grow,New contracts won from public bodies,Contracts register,Quarterly,Low
Communities benefit,Money spent with local suppliers,Purchase ledger,Yearly,Medium
Communities benefit,Volunteer hours given,Volunteer log,Monthly,Low
"""

CHECKLIST_TXT = """\
Volunteer to paid staff: a pathway checklist (fictional demo file)

1. Agree with the volunteer what paid role they are aiming for.
2. Match their volunteering tasks to the skills that role needs.
3. Offer accredited training where it exists; record what is done.
4. Give a named mentor and a review every three months.
5. Tell them about every paid vacancy first, with interview practice.
6. Keep in touch for six months after they move on.
"""

CASE_STUDY = [
    "This is a fictional case study made for the Commons demo. The council, the enterprise "
    "and the people in it are invented.",
    "Northgate Borough Council (demo) split its grounds maintenance contract into four lots "
    "by area, so that smaller organisations could bid for one lot without a partner. It "
    "scored social value at 15 per cent of the total, using three questions agreed with "
    "local providers beforehand.",
    "Riverside Community Enterprise (demo) won one lot. In its first year it took on six "
    "apprentices, four of whom had been out of work for more than a year, and bought most "
    "of its supplies within the borough.",
    "What made the difference: the lots, a supplier event two months before the tender, "
    "plain-English questions, and a named officer who answered queries within two days.",
    "What the council would change: publish the scoring guide with the tender, and allow "
    "consortium bids for more than one lot.",
]


# --- who shares them ------------------------------------------------------------------------


def _people(slug: str) -> tuple[Community, User, list[User]]:
    """A community, its moderator and its ordinary members (by id, so runs agree)."""
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.site_role == "member")
        .order_by(User.id)
    ).all()
    moderator = next(user for user, role in rows if role == "moderator")
    members = [user for user, role in rows if role == "member"]
    return community, moderator, members


def _upload(filename: str, data: bytes):
    return check_upload(filename, data, max_bytes=current_app.config["MAX_UPLOAD_MB"] * 1024**2)


def _share(member: User, details: Details, filename: str | None = None, data: bytes = b""):
    details.organisation_id = member.organisation_id
    upload = _upload(filename, data) if filename else None
    return actions.submit_resource(member, details, upload=upload)


def demo_files(rng: random.Random) -> dict[str, int]:
    """The invented files and their curation; how many resources in each state."""
    states = {"featured": 0, "published": 0, "pending": 0, "changes requested": 0}

    # A case study (PDF): a member's submission, approved and featured by the moderator.
    _community, moderator, members = _people("procurement")
    title = "Splitting a grounds contract into lots: a council case study (demo)"
    case = _share(
        rng.choice(members),
        Details(
            title=title,
            kind="case-study",
            communities=["procurement"],
            summary="A **fictional** case study made for the demo: how a council opened a "
            "contract to small social enterprises with lots and plain-English social value "
            "questions.",
            published="2024-05",
            licence="cc-by-4.0",
            tags="social value, lots",
        ),
        "grounds-contract-case-study.pdf",
        demo_pdf(title, CASE_STUDY),
    )
    actions.approve_resource(moderator, case.id)
    actions.set_featured(moderator, case.id, True)
    states["featured"] += 1

    # A toolkit (CSV): approved.
    _community, moderator, members = _people("impact-measurement")
    toolkit = _share(
        rng.choice(members),
        Details(
            title="Proportionate impact measurement toolkit (demo)",
            kind="toolkit",
            communities=["impact-measurement"],
            summary="A fictional starter set of outcomes and indicators for small "
            "organisations, with how to collect each and how much effort it takes. Open it "
            "in any spreadsheet.",
            published="2025",
            licence="cc-by-sa-4.0",
            tags="indicators, tools",
        ),
        "impact-toolkit.csv",
        TOOLKIT_CSV.encode("utf-8"),
    )
    actions.approve_resource(moderator, toolkit.id)
    states["published"] += 1

    # Podcasts in the Equal learning network, where the record's own podcasts were made: the
    # moderator's first episode publishes directly and gets a second, shorter version.
    _community, moderator, members = _people("equal-learning-network")
    series = "Commons conversations (demo)"
    episode = _share(
        moderator,
        Details(
            title="Commons conversations, episode 1: keeping a network going (demo)",
            kind="podcast",
            communities=["equal-learning-network"],
            summary="A fictional demo episode: a few seconds of silence standing in for a "
            "conversation about keeping a network going after its funding ends.",
            published="2025-03",
            licence="cc-by-4.0",
            tags="podcast, networks",
        ),
        "episode-1.mp3",
        silent_mp3(5.0, title="Episode 1: keeping a network going", artist=series),
    )
    actions.add_version(
        moderator,
        episode.id,
        _upload(
            "episode-1-edited.mp3",
            silent_mp3(4.5, title="Episode 1: keeping a network going (edited)", artist=series),
        ),
        note="Shorter introduction.",
    )
    second = _share(
        rng.choice(members),
        Details(
            title="Commons conversations, episode 2: what mainstreaming meant (demo)",
            kind="podcast",
            communities=["equal-learning-network"],
            summary="A fictional demo episode (silent): members look back on which policy "
            "asks landed.",
            published="2025-04",
            licence="cc-by-4.0",
            tags="podcast, policy",
        ),
        "episode-2.mp3",
        silent_mp3(5.0, title="Episode 2: what mainstreaming meant", artist=series),
    )
    actions.approve_resource(moderator, second.id)
    states["published"] += 2

    # Awaiting review: a member's checklist, for the moderators' queue.
    _community, _moderator, members = _people("workforce-development")
    _share(
        rng.choice(members),
        Details(
            title="Volunteer to paid staff: a pathway checklist (demo)",
            kind="toolkit",
            communities=["workforce-development"],
            summary="A fictional six-step checklist for moving volunteers into paid roles.",
            published="2025",
            tags="volunteers",
        ),
        "pathway-checklist.txt",
        CHECKLIST_TXT.encode("utf-8"),
    )
    states["pending"] += 1

    # Sent back for changes: a link with no file and no date.
    _community, moderator, members = _people("health")
    sent_back = _share(
        rng.choice(members),
        Details(
            title="Social prescribing referral form (demo)",
            kind="other",
            communities=["health"],
            summary="A fictional referral form used between GP practices and partners.",
            link="https://example.org/demo/referral-form",
        ),
    )
    actions.request_changes(
        moderator,
        sent_back.id,
        reason="Thanks for sharing this. Could you upload the form itself (the link is not "
        "public) and add the year it was written?",
    )
    states["changes requested"] += 1
    return states


# --- the step -------------------------------------------------------------------------------


def demo_resources(rng: random.Random) -> str:
    from ..demo import ADMIN_EMAIL

    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    archived = archive_entries(admin, load_record())
    states = demo_files(rng)
    shared = sum(states.values())
    detail = ", ".join(f"{n} {state}" for state, n in states.items())
    return f"{archived} archive resources from the record, {shared} demo resources ({detail})"
