"""The site settings, as the admin domain names them (the row and its rules live in
community/sitesettings.py, which every domain may import without an import cycle)."""

from ..sitesettings import (  # noqa: F401  (re-exported)
    REGISTRATION_MODES,
    SiteSettings,
    contact_address,
    current_settings,
    settings_for_update,
    site_name,
)
