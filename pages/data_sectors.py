"""Sectors: upload, browse and hand-enter sectors (the generic data page)."""

from workbench import ui

ui.render_data_page("sectors")
