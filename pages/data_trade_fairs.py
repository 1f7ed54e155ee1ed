"""Trade fairs: upload, browse and hand-enter trade-fair participations (the generic data page)."""

from workbench import ui

ui.render_data_page("trade_fairs")
