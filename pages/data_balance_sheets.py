"""Balance sheets: upload, browse and hand-enter firms' annual balance sheets (the generic data page)."""

from workbench import ui

ui.render_data_page("balance_sheets")
