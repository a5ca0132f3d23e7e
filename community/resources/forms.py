"""Resource forms; the rules come from rules.py."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)

from ..forms import Form, rule
from . import rules
from .models import KINDS, LICENCES
from .queries import SORTS


class ResourceForm(Form):
    title = StringField("Title", validators=[rule(rules.check_title)])
    kind = SelectField(
        "Kind of resource",
        choices={"": "Choose one", **KINDS},
        validators=[rule(rules.check_kind)],
        validate_choice=False,
    )
    communities = SelectMultipleField("Share it with", validate_choice=False)
    summary = TextAreaField("Summary (optional)", validators=[rule(rules.check_summary)])
    organisation = SelectField("Produced by (optional)", validate_choice=False)
    published = StringField("Publication date (optional)", validators=[rule(rules.check_date)])
    licence = SelectField(
        "Licence", choices=dict(LICENCES), default="unknown", validate_choice=False,
        validators=[rule(rules.check_licence)],
    )  # fmt: skip
    link = StringField("Web address (optional)", validators=[rule(rules.check_link)])
    tags = StringField("Tags (optional)", validators=[rule(rules.check_tags)])
    file = FileField("File (optional if you give a web address)")
    # A file that passed its checks when another field did not: kept, so it is not lost.
    held_file = HiddenField()
    discard_file = BooleanField("Do not attach this file")
    note = StringField("Version note (optional)", validators=[rule(rules.check_note)])
    submit = SubmitField("Share the resource")


class VersionForm(Form):
    file = FileField("New file")
    note = StringField("What changed (optional)", validators=[rule(rules.check_note)])
    submit = SubmitField("Upload the new version")


class ReasonForm(Form):
    reason = TextAreaField(
        "Reason", validators=[rule(lambda v: rules.check_reason(v, required=True))]
    )


class ArchiveForm(Form):
    reason = TextAreaField(
        "Reason (optional)", validators=[rule(lambda v: rules.check_reason(v, required=False))]
    )


class BrowseForm(Form):
    """The filters of /resources: a GET form (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    kind = SelectField("Kind", choices={"": "All kinds", **KINDS}, validate_choice=False)
    community = SelectField("Community", validate_choice=False)
    organisation = SelectField("Organisation", validate_choice=False)
    year = SelectField("Year", validate_choice=False)
    tag = SelectField("Tag", validate_choice=False)
    sort = SelectField("Sort by", choices=dict(SORTS), validate_choice=False)
    archived = BooleanField("Show archived resources instead")
