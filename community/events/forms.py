"""Event forms: the organiser's form (create and edit) and the cancel confirmation. The
rules come from rules.py; the forms add only how a date and time is typed."""

from datetime import datetime

from wtforms import DateTimeLocalField, SelectField, StringField, SubmitField, TextAreaField

from ..accounts.forms import TIMEZONE_CHOICES
from ..accounts.rules import check_timezone
from ..config import default_timezone
from ..forms import Form, rule
from ..rules import check_web_address
from . import rules

# What <input type="datetime-local"> sends (with or without seconds), and what a person
# types where the browser shows a plain text box.
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


class WallClockField(DateTimeLocalField):
    """A date and time as typed (naive: its zone is the form's time zone). Empty is None
    (the action says when it is required); what cannot be read is kept as typed, with a
    message saying how to write it."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=list(DATETIME_FORMATS), **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = None
        if not text:
            return
        for fmt in self.strptime_format:
            try:
                self.data = datetime.strptime(text, fmt)  # noqa: DTZ007 (a wall-clock time)
                return
            except ValueError:
                continue
        raise ValueError("Give a date and time, such as 2027-03-14 10:00.")


def _join_url(value):
    return check_web_address(value, field="join_url")


class EventForm(Form):
    title = StringField("Title", validators=[rule(rules.check_title)])
    description = TextAreaField("Description", validators=[rule(rules.check_description)])
    community = SelectField("Community", validate_choice=False)
    starts = WallClockField("Starts")
    ends = WallClockField("Ends")
    timezone = SelectField(
        "Time zone", validators=[rule(check_timezone)], validate_choice=False,
        default=default_timezone,
    )  # fmt: skip
    location = StringField("Place")
    join_url = StringField("Join link (online events)", validators=[rule(_join_url)])
    capacity = StringField("Capacity (optional)", validators=[rule(rules.check_capacity)])
    deadline = WallClockField("RSVP deadline (optional)")
    preview = SubmitField("Preview")
    submit = SubmitField("Save the event")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = TIMEZONE_CHOICES


class CancelForm(Form):
    reason = TextAreaField("Reason (optional)", validators=[rule(rules.check_cancel_reason)])
    submit = SubmitField("Cancel the event")
