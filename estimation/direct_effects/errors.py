"""The one exception the direct-effects analysis raises on data that cannot support it."""

from __future__ import annotations


class EstimationError(ValueError):
    """The data cannot support the estimation; ``str(error)`` is a plain-language message
    meant for the page and the CLI (no traceback needed). ``code`` is a stable short key
    (``"no_losers"``, ``"no_matches"``, ``"single_match"``, ``"singleton_fe"``,
    ``"missing_outcome"``, ``"singular_design"``, ``"bad_setting"`` …) for tests and callers."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
