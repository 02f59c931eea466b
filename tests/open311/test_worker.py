"""The media_url fetch with a real Celery worker process: POST answers at once, the worker
fetches the picture after the commit and stores it through the photo pipeline."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from http.server import ThreadingHTTPServer

import pytest

from open311 import actions as key_actions
from open311.models import MediaState, Submission
from services.models import CasePhoto
from tests.conftest import start_worker, wait_until
from tests.open311.test_write import _Media
from tests.services.conftest import build_desk


@pytest.fixture
def media_worker(transactional_db, tmp_path, settings):
    """A real worker on a private queue that may fetch from this machine (the test's server)."""
    from portal.celery import app

    settings.LINLI = {**settings.LINLI, "OPEN311_MEDIA_PRIVATE_OK": True}
    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    worker = start_worker(tmp_path, queue, extra_env={"LINLI_OPEN311_MEDIA_PRIVATE_OK": "true"})
    try:
        yield worker
    finally:
        worker.proc.terminate()
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.task_default_queue = previous


@pytest.mark.worker
def test_media_is_fetched_by_a_real_worker(media_worker, transactional_territory, client):
    desk = build_desk(transactional_territory)
    _key, plain = key_actions.issue_key(name="FixMyStreet", actor=desk.user("superuser"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        response = client.post(
            "/open311/v2/requests.json",
            {
                "api_key": plain,
                "service_code": "potholes",
                "description": "路面有坑",
                "address_id": desk.t.a.buildings[0].pk,
                "media_url": f"{base}/photo.jpg",
            },
        )
        assert response.status_code == 200, response.content
        number = json.loads(response.content)[0]["service_request_id"]
        submission = wait_until(
            lambda: Submission.objects.filter(
                case__number=number, media_state=MediaState.SAVED
            ).first(),
            timeout=60,
        )
        assert CasePhoto.objects.filter(case=submission.case).count() == 1
        assert "fetch_media" in media_worker.output()
    finally:
        server.shutdown()
