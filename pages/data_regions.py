"""Regions: upload, browse and hand-enter regions (the generic data page)."""

from workbench import ui

ui.render_data_page("regions")
