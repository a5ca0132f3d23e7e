from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import InputRequired


class MemberEmailForm(FlaskForm):
    email = EmailField(
        "Member's email address", validators=[InputRequired("Enter an email address.")]
    )
