"""Every session-state and widget key of the app, namespaced ``"<page>.<name>"``.

Pages and helpers never spell a key themselves: they take it from here, so
two widgets cannot collide and a key can be found with one search.
"""

from __future__ import annotations

# Shared across pages (the entry script's sidebar).
APP_DB_PATH = "app.db_path"
APP_ACTOR = "app.actor"

# Audit page.
AUDIT_CONFIRM_UNDO = "audit.confirm_undo"
AUDIT_UNDO_BUTTON = "audit.undo_button"
AUDIT_UNDO_RESULT = "audit.undo_result"
AUDIT_LOG_TABLE = "audit.log_table"

# Data pages: one namespace per record type, ``data.<table>.<name>``.
DATA_NAMES = (
    "filter_years",      # (from, to) slider
    "filter_year_bounds",  # the stored years the slider last spanned
    "filter_text",       # free-text search
    "filter_column",     # column of the equality filter
    "filter_value",      # value of the equality filter
    "limit",             # most rows shown
    "upload_file",       # file uploader (suffixed with the upload generation)
    "upload_generation", # bumped after a load, to clear the uploader
    "upload_mode",
    "upload_deflate",
    "upload_encoding",
    "upload_check",      # (fingerprint, IngestResult) of the last check
    "upload_check_button",
    "upload_load_button",
    "upload_result",     # IngestResult of the last load, shown once
    "editor",            # the data editor
    "save_button",
    "edit_result",       # EditResult of the last save, shown once
)


def data(table: str, name: str) -> str:
    """The key of ``name`` on the data page of ``table``, e.g. ``"data.contracts.filter_text"``."""
    if name not in DATA_NAMES:
        raise KeyError(f"unknown data-page key {name!r}; add it to DATA_NAMES")
    return f"data.{table}.{name}"


def download(name: str) -> str:
    """The key of a download button, ``"download.<name>"`` (name: what is downloaded, in which format)."""
    return f"download.{name}"
