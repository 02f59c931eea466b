"""Start-up tuning: the web and worker processes move start-up objects out of the collector."""

import gc
import importlib


def test_the_wsgi_module_freezes_what_start_up_loaded():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    import portal.wsgi

    importlib.reload(portal.wsgi)
    assert callable(portal.wsgi.application)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django, the apps and the URLconf, not a handful of objects
    gc.unfreeze()


def test_a_worker_process_settles_at_init():
    from celery.signals import worker_process_init

    import portal.celery  # noqa: F401  (connects the handler)

    gc.unfreeze()
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 10_000
    gc.unfreeze()
