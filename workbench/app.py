"""The workbench app: a router over the pages, with the sidebar they share.

Run ``streamlit run workbench/app.py -- --db PATH``; without ``--db`` the
database is ``$WORKBENCH_DB`` or the per-user default (workbench.config).
Opening a database that does not exist yet creates it and loads the
synthetic demo economy. Any error a page raises is shown as a plain message,
never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only workbench/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from workbench import config, ui  # noqa: E402
from workbench import state_keys as keys  # noqa: E402

PAGES_DIR = ROOT / "pages"
DATA_TABLES = ("contracts", "balance_sheets", "regions", "sectors", "credit", "trade_fairs", "deflators")
MODEL_TABLES = ("model_sectors", "input_output", "sector_years", "region_sectors", "populations", "roads")
DATA_ICONS = {
    "contracts": "handshake", "balance_sheets": "account_balance", "regions": "map",
    "sectors": "factory", "credit": "payments", "trade_fairs": "storefront", "deflators": "percent",
    "model_sectors": "category", "input_output": "grid_on", "sector_years": "monitoring",
    "region_sectors": "location_city", "populations": "groups", "roads": "route",
}


def db_path(argv: list[str]) -> str:
    """``--db PATH`` from the arguments after ``--``, else workbench.config.resolve_db_path()."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    args, _ = parser.parse_known_args(argv)
    return str(config.resolve_db_path(args.db).expanduser().resolve())


def pages() -> dict[str, list[st.Page]]:
    """The navigation: the Data section (overview + one page per record type), Model inputs (one page per
    input table of the quantitative model), Linkage, Estimation, Models and History."""
    data = [st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/dashboard:",
                    url_path="overview", default=True)]
    data += [_data_page(table) for table in DATA_TABLES]
    model_inputs = [_data_page(table) for table in MODEL_TABLES]
    linkage = [st.Page(PAGES_DIR / "linkage.py", title="Linkage", icon=":material/join:", url_path="linkage"),
               st.Page(PAGES_DIR / "review.py", title="Review queue", icon=":material/rule:", url_path="review")]
    estimation = [st.Page(PAGES_DIR / "direct_effects.py", title="Direct effects", icon=":material/trending_up:",
                          url_path="direct-effects")]
    estimation.append(st.Page(PAGES_DIR / "spillovers.py", title="Spillovers", icon=":material/hub:",
                              url_path="spillovers"))
    models = [st.Page(PAGES_DIR / "simple_model.py", title="Simple big-push model", icon=":material/stacked_line_chart:",
                      url_path="simple-model"),
              st.Page(PAGES_DIR / "quant_model.py", title="Quantitative model", icon=":material/public:",
                      url_path="quant-model")]
    results = [st.Page(PAGES_DIR / "exports.py", title="Exports", icon=":material/ios_share:", url_path="exports")]
    history = [st.Page(PAGES_DIR / "audit.py", title="Audit log & undo", icon=":material/history:",
                       url_path="audit")]
    return {"Data": data, "Model inputs": model_inputs, "Linkage": linkage, "Estimation": estimation,
            "Models": models, "Results": results, "History": history}


def _data_page(table: str) -> st.Page:
    """The generic data page of upload table ``table`` (pages/data_<table>.py)."""
    return st.Page(PAGES_DIR / f"data_{table}.py", title=ui.TITLES[table], url_path=table,
                   icon=f":material/{DATA_ICONS[table]}:")


def sidebar(path: str) -> None:
    """Which database is open, the synthetic-data badge, and the reviewer name for the audit log."""
    with st.sidebar:
        st.caption("Database")
        st.markdown(f"**{Path(path).name}**")
        st.caption(str(Path(path).parent))
        ui.open_db(path)  # a brand-new database is created here and gets the demo economy
        status = ui.read("database_status")
        if status.is_demo:
            st.badge(ui.SYNTHETIC, icon=":material/science:", color="orange")
            st.caption(f"Loaded {status.demo_loaded_at} UTC: a generated economy for trying the workbench, "
                       "not archival data. Replace the tables on the Data pages to work with real records.")
        st.text_input("Reviewer name", value=config.default_actor(), key=keys.APP_ACTOR,
                      help="recorded in the audit log with every upload, edit and undo")


def main() -> None:
    st.set_page_config(page_title="Big Push workbench", page_icon=":material/factory:", layout="wide")
    # Also in .streamlit/config.toml; set here too because `python -m workbench app` may run elsewhere.
    st.set_option("client.showErrorDetails", "none")
    path = db_path(sys.argv[1:])
    st.session_state[keys.APP_DB_PATH] = path
    page = st.navigation(pages())
    try:
        sidebar(path)
        page.run()
    except Exception as err:  # noqa: BLE001 - the app shows every error as a message, never a traceback
        ui.show_error(err)


main()
