"""The forms of /admin/organisations and /admin/communities (their limits are the actions')."""

from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired

from ..accounts import organisations
from ..forms import Form


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class OrganisationForm(Form):
    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired("Give the organisation a name.")]
    )
    kind = StringField("Kind (optional)", filters=[_strip])
    description = TextAreaField("Description (optional)", filters=[_strip])
    website = URLField("Website (optional)", filters=[_strip])
    region = StringField("Region (optional)", filters=[_strip])

    def details(self) -> organisations.OrganisationDetails:
        return organisations.OrganisationDetails(
            **{name: self[name].data or "" for name in organisations.EDITED_FIELDS}
        )


class MergeChoiceForm(Form):
    """Step one of a merge: which organisation stays (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    survivor = SelectField("The organisation that stays", validate_choice=False)


class MergeForm(Form):
    """The confirmation's button: the survivor chosen, with the CSRF token."""

    survivor = HiddenField()


VISIBILITY_CHOICES = [("public", "Anyone (public)"), ("members", "Only its members (members-only)")]


class CommunityForm(Form):
    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired("Give the community a name.")]
    )
    slug = StringField(
        "Address",
        filters=[_strip],
        validators=[DataRequired("Give the community an address, like “social-value”.")],
    )
    description = TextAreaField("Description (optional)", filters=[_strip])
    visibility = RadioField("Who can read it", default="public", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set after construction: WTForms warns of tuples passed to the constructor
        # (SelectChoice, their replacement, needs WTForms 3.3).
        self.visibility.choices = VISIBILITY_CHOICES


class CommunityEditForm(Form):
    name = CommunityForm.name
    description = CommunityForm.description
