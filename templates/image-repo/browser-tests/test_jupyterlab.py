"""Runs on the runner against the built image serving JupyterLab on port 8888 (started with an empty token).

These use only the standard library. For tests in a real browser, add pytest-playwright to requirements.txt and
install its browser in the browser test command (see the README).
"""

import json
import os
import urllib.request

BASE_URL = os.environ.get("JUPYTER_URL", "http://localhost:8888").rstrip("/")


def get(path):
    with urllib.request.urlopen(BASE_URL + path, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def test_server_is_up():
    status, content_type, body = get("/api/status")
    assert status == 200
    assert "application/json" in content_type
    assert "started" in json.loads(body)


def test_server_reports_its_version():
    status, _, body = get("/api")
    assert status == 200
    assert json.loads(body)["version"]


def test_jupyterlab_page_loads():
    status, content_type, body = get("/lab")
    assert status == 200
    assert "text/html" in content_type
    assert "JupyterLab" in body
