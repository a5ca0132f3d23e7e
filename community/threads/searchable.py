"""How threads and replies are searched (community/search/kinds.py): always within their
thread's community, so found by that community's readers."""

from ..search.kinds import in_a_community_only, register_document_kind
from . import bp


@bp.record_once
def _register_search_kinds(state) -> None:
    register_document_kind(state.app, "thread", label="Thread", visible=in_a_community_only)
    register_document_kind(state.app, "post", label="Reply", visible=in_a_community_only)
