from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MemberEmailForm(FlaskForm):
    email = EmailField(
        "Member's email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
    )
