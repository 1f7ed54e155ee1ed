"""Fixtures of the page tests: the demo database is built once per session and copied for each test."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import services

APP = Path(__file__).resolve().parents[1] / "workbench" / "app.py"
TIMEOUT = 60  # seconds per script run: generous for two slow cores


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A database holding the synthetic demo economy, built once."""
    path = tmp_path_factory.mktemp("demo") / "template.duckdb"
    assert services.ensure_demo(services.open_database(path), "tester")
    return path


@pytest.fixture
def demo_db(tmp_path, demo_template, monkeypatch) -> services.Database:
    """A private copy of the demo database, which the app opens through $WORKBENCH_DB."""
    path = tmp_path / "workbench.duckdb"
    for file in demo_template.parent.glob(demo_template.name + "*"):
        if not file.name.endswith(".lock"):
            shutil.copy(file, path.with_name(file.name.replace(demo_template.name, path.name)))
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    return services.open_database(path)


@pytest.fixture
def app(demo_db) -> AppTest:
    """The app, run once (it opens on the Overview page)."""
    return new_app().run()


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to ``pages/<page>.py`` and run it."""
    return at.switch_page(f"../pages/{page}.py").run()


def shown_row_count(at: AppTest) -> int:
    """The "**N row(s)** match the filters" count of a data page."""
    for markdown in at.markdown:
        found = re.match(r"\*\*([\d,]+) row\(s\)\*\* match", markdown.value)
        if found:
            return int(found.group(1).replace(",", ""))
    raise AssertionError("no row count on the page")


def assert_ok(at: AppTest) -> None:
    """No exception and no error message on the page."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def submit_form(at: AppTest, prefix: str, button_key: str, settings: dict) -> AppTest:
    """Set a form's widgets by their key names (``<prefix>.<name>``) and press its button."""
    widgets = (*at.number_input, *at.selectbox, *at.multiselect, *at.text_input, *at.radio, *at.checkbox)
    for name, value in settings.items():
        next(w for w in widgets if w.key == f"{prefix}.{name}").set_value(value)
    return at.button(key=button_key).click().run()


def warning_texts(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def download_labels(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]
