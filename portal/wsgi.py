import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.runtime import settle_gc  # noqa: E402  (after Django is set up)

settle_gc()
