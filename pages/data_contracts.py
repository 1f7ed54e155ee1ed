"""Contracts: upload, browse and hand-enter technology-adoption contracts (the generic data page)."""

from workbench import ui

ui.render_data_page("contracts")
