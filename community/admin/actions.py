"""Who may administer the site."""

from ..accounts.models import User
from ..errors import Forbidden


def require_admin(user: User) -> None:
    if not (user.is_authenticated and user.is_admin):
        raise Forbidden("Only the site's admins can do that.")
