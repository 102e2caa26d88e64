"""Ready means able to serve: Redis down leaves the service ready but degraded (the rate
limits count in memory, and say so once in the log), the database down makes it unready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import base_config, free_port
from tests.ops.test_observability import (
    fresh_limiter,  # noqa: F401  (a fixture)
    metric_samples,
    sample,
    unreachable_database_url,
)

ROOT = Path(__file__).resolve().parents[2]


def test_redis_down_is_ready_but_degraded_with_a_metric(make_app, fresh_limiter):  # noqa: F811
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}")
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "degraded"}
    samples = metric_samples(client)
    assert sample(samples, "commentdesk_dependency_up", dependency="redis") == 0
    assert sample(samples, "commentdesk_dependency_up", dependency="database") == 1


def test_database_down_is_unready_with_a_metric(make_app, database_url, tmp_path):
    make_app()
    down = make_app(SQLALCHEMY_DATABASE_URI=unreachable_database_url(database_url, tmp_path))
    client = down.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable"}
    samples = metric_samples(client)
    assert sample(samples, "commentdesk_dependency_up", dependency="database") == 0


# As a server process runs: its own logging set-up, no test harness capturing records.
_SUBMIT_THREE_TIMES = """
import json, sys
from service import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
for n in range(3):
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        json={"name": "Ada", "email": f"ada{n}@example.org", "body": f"Comment {n}"},
    )
    print(response.status_code)
"""


def test_limits_falling_back_to_memory_log_one_warning(tmp_path):
    settings = base_config(f"sqlite:///{tmp_path / 'commentdesk.db'}") | {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}",
        "FLOOD_SECONDS": 0,
    }
    setup = "from service import create_app; from service.extensions import db\n"
    setup += "app = create_app(__import__('json').loads(__import__('sys').argv[1]))\n"
    setup += "app.app_context().push(); db.create_all()"
    env = os.environ | {"LOG_FORMAT": "json"}
    for script in (setup, _SUBMIT_THREE_TIMES):
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(settings)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["201", "201", "201"]
    warnings = [
        json.loads(line) for line in done.stderr.splitlines() if "storage unreachable" in line
    ]
    assert len(warnings) == 1, done.stderr
    assert warnings[0]["level"] == "warning"
    assert "in-memory" in warnings[0]["message"]
