"""Dependencies point down: the domain (models, policy, use cases, domain errors) imports
nothing of the HTTP layer, and each check runs in a fresh interpreter, so what another test
imported first cannot hide an import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DOMAIN = [
    "service.models",
    "service.screening.policy",
    "service.errors",
    "service.comments.submissions",
    "service.moderation.decisions",
    "service.moderation.sign_ins",
    "service.privacy.personal_data",
    "service.ops.telemetry",
]
HTTP_SIDE = ("service.http", "flask_smorest", "service.ops.observability")


def imported_by(module: str) -> set[str]:
    """Every module a fresh interpreter has loaded after importing `module`."""
    code = (
        "import importlib, json, sys; "
        f"importlib.import_module({module!r}); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def within(modules: set[str], package: str) -> list[str]:
    return sorted(name for name in modules if name == package or name.startswith(f"{package}."))


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_does_not_import_the_http_layer_or_the_ops_blueprint(module):
    modules = imported_by(module)
    assert [found for package in HTTP_SIDE for found in within(modules, package)] == []


WITHOUT_PORTABILITY = ["service.comments.submissions", "service.privacy.personal_data"]


@pytest.mark.parametrize("module", WITHOUT_PORTABILITY)
def test_submitting_and_data_rights_do_not_import_the_importers_and_exporters(module):
    assert within(imported_by(module), "service.portability") == []


def test_domain_errors_import_nothing_from_flask():
    modules = imported_by("service.errors")
    assert within(modules, "flask") == []
    assert [name for name in modules if name.startswith("flask_")] == []


def test_the_extensions_do_not_import_the_error_renderer():
    assert within(imported_by("service.extensions"), "service.http") == []


def test_the_json_api_does_not_import_the_readers_blueprint():
    assert "service.http.web.readers" not in imported_by("service.http.api.public")


OPS_BELOW_THE_DOMAIN = [
    "service.ops.config",
    "service.ops.database",
    "service.ops.db_watchdog",
    "service.ops.state_versions",
    "service.ops.telemetry",
]
ABOVE_OPS = ("service.comments", "service.moderation", "service.screening", "service.http")


@pytest.mark.parametrize("module", OPS_BELOW_THE_DOMAIN)
def test_operations_import_no_use_case_and_no_view(module):
    # The domain's use cases stand on these (write_transaction, the version numbers, the
    # settings); a worker's warm-up, which needs both, lives with the views (http/warmup.py).
    modules = imported_by(module)
    assert [found for package in ABOVE_OPS for found in within(modules, package)] == []
