"""Economic models and the seeded demo economy (pure numpy/pandas; no streamlit, no duckdb)."""
