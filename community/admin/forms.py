from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.actions import REASON_MAX


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Give a reason: the member is told it by mail."),
            Length(max=REASON_MAX, message=f"A reason has at most {REASON_MAX} characters."),
        ],
    )
    until = DateField(
        "Lapses on (optional)",
        validators=[Optional()],
        format="%Y-%m-%d",
    )
