from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkioConfig(AppConfig):
    name = "apps.bulkio"
    label = "bulkio"
    verbose_name = _("Import and export")
