"""Firm-name keys for matching Korean archival names across sources.

A first, deterministic standardization: legal-form markers (주식회사, (주),
㈜, 株式會社, Co., Ltd., Inc., Corp.) before or after the name, spacing,
punctuation and full-width characters are removed, Latin letters lower-cased.
The linkage issue builds probabilistic matching on top of this key.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_FORMS = (
    "주식회사", "유한회사", "합자회사", "株式會社", "株式会社", "(주)", "(株)", "㈜",
    "co.,ltd.", "co., ltd.", "co.ltd.", "company", "limited", "corporation",
    "co.", "ltd.", "inc.", "corp.", "ltd", "inc", "corp",
)
_PUNCTUATION = re.compile(r"[\s\.,·\-\(\)\[\]'\"&/]+")


def standardize_firm_name(name: str | None) -> str:
    """The comparison key of a firm name; '' for a missing name.

    NFKC folds full-width forms and ㈜ into (주); legal-form markers are then
    removed wherever they stand, and spacing and punctuation dropped.
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    for marker in sorted(LEGAL_FORMS, key=len, reverse=True):
        text = text.replace(unicodedata.normalize("NFKC", marker), " ")
    return _PUNCTUATION.sub("", text)
