# Shared by dev/app.sh and dev/test.sh: make .venv (Python 3.11) and install a requirements file.
# Usage: source dev/setup.sh REQUIREMENTS_FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python_bin=$(command -v python3.11 || command -v python3)
"$python_bin" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is needed"'
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
