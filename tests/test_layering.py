"""estimation/ and models/ import without streamlit or duckdb (usable from a notebook)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HIDE = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('streamlit', 'duckdb', 'storage', 'workbench', 'pages'):
            raise ImportError(f'{name} must not be imported here')
sys.meta_path.insert(0, Hide())
import pkgutil, importlib
for package in ('estimation', 'models'):
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f'{package}.{info.name}')
print('ok')
"""


def test_estimation_and_models_do_not_import_streamlit_duckdb_or_storage():
    done = subprocess.run([sys.executable, "-c", HIDE], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
