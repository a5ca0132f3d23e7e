from wtforms import EmailField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import Form


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MemberEmailForm(Form):
    email = EmailField(
        "Member's email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
    )


class SafeguardsForm(Form):
    """A community's moderation settings (their limits are the action's)."""

    flag_threshold = IntegerField(
        "Hide an item when this many members flag it",
        validators=[InputRequired("Enter a number.")],
    )
    hold_first_posts = IntegerField(
        "Hold a new member's first posts for approval: how many (0 for none)",
        validators=[InputRequired("Enter a number.")],
    )
    new_member_links = IntegerField(
        "Links allowed in a new member's post",
        validators=[InputRequired("Enter a number.")],
    )


class CommunitySuspensionForm(Form):
    """Suspend a member from one community (the limits are the action's)."""

    # Who: the member the moderation queue linked here with (their id), or an address typed.
    user_id = HiddenField()
    email = EmailField(
        "Member's email address",
        filters=[_strip],
        validators=[Optional(), Length(max=254)],
    )
    days = IntegerField("For how many days", validators=[InputRequired("Enter a number.")])
    reason = TextAreaField(
        "Why (the member sees this)", validators=[DataRequired("Say why: the member sees it.")]
    )
