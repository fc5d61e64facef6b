#!/usr/bin/env bash
# One-time setup of the loopback lab used by capture.py (outside the repository, in /srv/lumen or $LUMEN_ROOT).
# Installs Debian's nginx-light and a venv (from Debian's own Python) with the Lumen Orders demo apps' dependencies.
set -euo pipefail
ROOT="${LUMEN_ROOT:-/srv/lumen}"
HERE="$(cd "$(dirname "$0")" && pwd)"
apt-get install -y nginx-light chromium espeak-ng postgresql-client git curl nodejs npm python3-venv
service nginx stop || true  # capture.py runs its own nginx instances
mkdir -p "$ROOT"
/usr/bin/python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install flask django fastapi uvicorn gunicorn cryptography "$HERE/apps/lumen_cli"
rm -rf "$HERE/apps/lumen_cli/build" "$HERE"/apps/lumen_cli/*.egg-info
