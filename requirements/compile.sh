#!/usr/bin/env bash
# Regenerates the locks from pyproject.toml's ranges and requirements/build.in (the build
# backend): base.txt (what the service runs on, and what the image installs) and test.txt
# (base.txt's exact versions plus the test tools).
#   bash requirements/compile.sh            # keep what is locked where the ranges allow
#   bash requirements/compile.sh --upgrade  # take the newest releases the ranges allow
set -euo pipefail
cd "$(dirname "$0")/.."
common=(--universal --python-version 3.11 --generate-hashes --quiet "$@")
uv pip compile pyproject.toml requirements/build.in "${common[@]}" -o requirements/base.txt
uv pip compile pyproject.toml requirements/build.in --extra test -c requirements/base.txt "${common[@]}" \
  -o requirements/test.txt
