#!/usr/bin/env bash
# One-time setup of the loopback lab used by capture.py (outside the repository).
# Installs Debian's nginx-light and a scratch venv with the Lumen Orders demo apps' dependencies.
set -euo pipefail
SCRATCH="${LUMEN_SCRATCH:-/work/scratch}"
HERE="$(cd "$(dirname "$0")" && pwd)"
apt-get install -y nginx-light chromium espeak-ng postgresql-client git curl nodejs npm
service nginx stop || true  # capture.py runs its own nginx instances
mkdir -p "$SCRATCH"
python3 -m venv "$SCRATCH/venv"
"$SCRATCH/venv/bin/pip" install flask django fastapi uvicorn gunicorn cryptography "$HERE/apps/lumen_cli"
rm -rf "$HERE/apps/lumen_cli/build" "$HERE"/apps/lumen_cli/*.egg-info
