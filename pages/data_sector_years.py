"""Sector accounts: upload, browse and hand-enter an input of the quantitative model (the generic data page)."""

from workbench import ui

ui.render_data_page("sector_years")
