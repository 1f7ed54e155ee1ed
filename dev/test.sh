#!/usr/bin/env bash
# Install everything the tests need (Python packages; Debian's chromium and Korean fonts for the
# real-browser test) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
source "$(dirname "$0")/setup.sh" requirements-test.txt
exec .venv/bin/python -m pytest "$@"
