"""Deflators: upload, browse and hand-enter deflators (the generic data page)."""

from workbench import ui

ui.render_data_page("deflators")
