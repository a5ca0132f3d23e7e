"""The admins' announcement form. The rules are the actions'; the form adds how a date and
time is typed (in the admin's own time zone)."""

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField

from ..errors import Invalid
from ..events.forms import WallClockField
from ..forms import Form, attach_error, rule
from . import actions


class AnnouncementForm(Form):
    title = StringField("Title", validators=[rule(actions.check_title)])
    body = TextAreaField("Text", validators=[rule(actions.check_body)])
    audience = SelectField(
        "Who it is for", validators=[rule(actions.check_audience)], validate_choice=False
    )
    banner_from = WallClockField("Banner from")
    banner_until = WallClockField("Banner until")
    send_email = BooleanField("Also send it by email")
    preview = SubmitField("Preview")
    submit = SubmitField("Save the announcement")

    zone = "UTC"  # the zone the banner's times are typed in: the admin's own (set by the view)

    def validate(self, extra_validators=None) -> bool:
        """Every field's own rules, then the banner's two times together."""
        valid = super().validate(extra_validators)
        if self.banner_from.errors or self.banner_until.errors:
            return False
        try:
            actions.check_banner(self.banner_from.data, self.banner_until.data, self.zone)
        except Invalid as exc:
            attach_error(self, exc)
            return False
        return valid

    def fill(self, communities, zone: str) -> None:
        self.zone = zone
        self.audience.choices = [
            ("", "Choose…"),
            (actions.EVERYONE, "Everyone (every member, and visitors see the banner too)"),
            *[(c.slug, f"The members of {c.name}") for c in communities],
        ]
