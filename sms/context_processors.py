"""Values every page template can use."""

from django.http import HttpRequest

from sms.version import VERSION


def version(request: HttpRequest) -> dict[str, str]:
    """The release version for the page footer (base.html shows it to signed-in users)."""
    return {"SMS_VERSION": VERSION}
