"""How resources are searched (community/search/kinds.py): each is filed under one of its
live communities (actions._search_community), so found by that community's readers."""

from ..search.kinds import in_a_community_only, register_document_kind
from . import bp


@bp.record_once
def _register_search_kinds(state) -> None:
    register_document_kind(state.app, "resource", label="Resource", visible=in_a_community_only)
