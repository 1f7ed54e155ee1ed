"""Credit: upload, browse and hand-enter directed foreign credit (the generic data page)."""

from workbench import ui

ui.render_data_page("credit")
