"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from service import create_app
from service.ops.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # An operator's mistake, not a bug: one line saying what to fix, no traceback. Exit
    # status 3 is gunicorn's "worker failed to boot": the arbiter stops instead of respawning.
    print(f"commentdesk: {error}", file=sys.stderr)
    raise SystemExit(3) from None
