import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from sms.gc_tuning import tune_long_running_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
application = get_wsgi_application()
tune_long_running_process(settings.SMS_GC_THRESHOLDS)  # once the process is built
