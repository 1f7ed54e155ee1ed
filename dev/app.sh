#!/usr/bin/env bash
# Install everything and open the workbench. With no database yet, the app creates one in the
# per-user data folder (or at $WORKBENCH_DB / --db PATH) and loads the synthetic demo economy.
# Extra arguments go to `python -m workbench`, e.g. `dev/app.sh --db my.duckdb app --port 8600`.
source "$(dirname "$0")/setup.sh" requirements.txt
if [ $# -eq 0 ]; then set -- app; fi
exec .venv/bin/python -m workbench "$@"
