"""Pure estimation functions on pandas DataFrames (no Streamlit, no database).

Import freely from a notebook: ``from estimation.descriptives import heavy_sales_share``.
"""
