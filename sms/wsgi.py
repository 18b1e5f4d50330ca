import os

from django.core.wsgi import get_wsgi_application

from sms.gc_tuning import tune_this_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
application = get_wsgi_application()
tune_this_process()  # once the process is built
