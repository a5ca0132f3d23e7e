"""The rules for a thread's own fields (its title); those shared with other domains (bodies,
tags, composer tokens) are in community/rules.py."""

from ..errors import Invalid

TITLE_MAX = 200


def check_title(value: str) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise Invalid("Give the thread a title.", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title
