from wtforms import BooleanField, DateField, EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.actions import REASON_MAX
from ..forms import Form


class SuspendForm(Form):
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


ROLE_CHOICES = [
    ("member", "Member: takes part in the communities they join"),
    ("admin", "Admin: runs the site (this page, communities, registration, health)"),
]
MODE_CHOICES = [
    ("open", "Anyone: a new account is ready once its address is confirmed"),
    ("approval", "Anyone may register, and an admin approves each new account"),
    ("invitation", "Only people an admin invites by email"),
]


class RoleForm(Form):
    # (Choices set on the bound field: WTForms warns about tuples given at declaration.)
    role = RadioField("Site role", validate_choice=False)  # the action checks it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = ROLE_CHOICES


class SettingsForm(Form):
    site_name = StringField("Site name")
    contact_email = EmailField("Contact address")
    registration_mode = RadioField("Who may join", validate_choice=False)
    health_public = BooleanField("Publish the network health summary at /health")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.registration_mode.choices = MODE_CHOICES


class InviteForm(Form):
    email = EmailField("Email address to invite")
    message = TextAreaField("A message to include (optional)")
