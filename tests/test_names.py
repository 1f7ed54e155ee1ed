"""Firm-name standardization: legal forms, spacing, full-width, Hanja, romanized names."""

from __future__ import annotations

import pandas as pd
import pytest

from estimation.names import (core_firm_name, fold_romanization, industry_words, name_keys, name_problem,
                              romanized_firm_name, romanized_key, romanized_stem, standardize_firm_name)

MARKERS = ["주식회사", "(주)", "㈜", "株式會社", "(株)", "Co., Ltd.", "Inc.", "Corp.", "Co."]


@pytest.mark.parametrize("marker", MARKERS)
def test_legal_form_marker_before_or_after_is_removed(marker):
    assert standardize_firm_name(f"{marker}대한전선") == "대한전선"
    assert standardize_firm_name(f"{marker} 대한전선") == "대한전선"
    assert standardize_firm_name(f"대한전선{marker}") == "대한전선"
    assert standardize_firm_name(f"대한전선 {marker}") == "대한전선"


@pytest.mark.parametrize("raw, key", [
    ("대한 전선", "대한전선"),
    ("  대한전선  ", "대한전선"),
    ("대한·전선", "대한전선"),
    ("ＤＡＥＨＡＮ　ＣＡＢＬＥ", "daehancable"),       # full-width letters and space
    ("대한전선（주）", "대한전선"),                       # full-width brackets
    ("大韓電線株式會社", "대한전선"),                     # Hanja read as Hangul
    ("(株)大韓電線", "대한전선"),
    ("Daehan Cable Co., Ltd.", "daehancable"),
    ("DAEHAN CABLE CO.,LTD.", "daehancable"),
    ("Lincoln Inc.", "lincoln"),                       # "inc" only as a whole word
])
def test_standardize(raw, key):
    assert standardize_firm_name(raw) == key


def test_core_drops_common_industry_words_and_their_misspellings():
    assert core_firm_name("대한전선공업(주)") == "대한전선"
    assert core_firm_name("주식회사 대한전선산업") == "대한전선"
    assert core_firm_name("대한전선공엄") == "대한전선"           # typo of 공업
    assert core_firm_name("대한유업") == "대한유업"               # a real industry word stays
    assert core_firm_name("Daehan Cable Industrial Co.") == "daehancable"
    assert core_firm_name("공업(주)") == "공업"                   # never an empty core


@pytest.mark.parametrize("hangul, latin", [
    ("대한제강(주)", "Daehan Steel Co., Ltd."),
    ("금일전자공업㈜", "Kumil Electronics Corp."),
    ("영명전관공업(주)", "Youngmyung Electron Tube Co., Ltd."),
    ("우창중공업", "Woochang Heavy Industries Co."),
    ("大韓電線株式會社", "Daehan Cable Co."),
])
def test_romanized_hangul_and_romanized_names_meet(hangul, latin):
    assert romanized_key(hangul) == romanized_key(latin)
    assert romanized_stem(hangul) == romanized_stem(latin)


def test_romanized_name_is_latin_only_revised_romanization():
    assert romanized_firm_name("대한제강(주)") == "daehan steel"
    assert romanized_firm_name("Daehan Steel Co., Ltd.") == "daehan steel"
    assert romanized_firm_name("중원 펄프공업") == "jungwon pulp"         # spacing does not matter
    assert industry_words("우창중공업") == "heavy"


def test_fold_romanization_joins_old_and_revised_spellings():
    for old, revised in (("kum", "geum"), ("sung", "seong"), ("kook", "guk"), ("woo", "u"), ("rim", "lim")):
        assert fold_romanization(old) == fold_romanization(revised)


@pytest.mark.parametrize("raw, problem", [
    (None, "empty"), ("", "empty"), ("   ", "empty"), (float("nan"), "empty"), ("(주)", "only legal-form markers"),
    ("주식회사 ㈜", "only legal-form markers"), ("Co., Ltd.", "only legal-form markers"), ("대한전선", None),
])
def test_name_problem(raw, problem):
    assert name_problem(raw) == problem


def test_name_keys_keeps_raw_name_and_index():
    names = pd.Series(["대한전선(주)", None, "대한전선(주)", "Daehan Cable Co."], index=[10, 11, 12, 13])
    keys = name_keys(names)
    assert list(keys.index) == [10, 11, 12, 13]
    assert keys.loc[10, "name"] == "대한전선(주)" and keys.loc[10, "std"] == "대한전선"
    assert keys.loc[11, "problem"] == "empty" and keys.loc[11, "std"] == ""
    assert keys.loc[13, "script"] == "latin" and keys.loc[10, "script"] == "hangul"
    assert keys.loc[10, "roman_key"] == keys.loc[13, "roman_key"] == "taehan cable"
    assert keys.loc[12, "roman"] == "daehan cable" and keys.loc[12, "core"] == "대한전선"
    assert list(keys.columns) == ["name", "std", "core", "roman", "roman_key", "roman_stem", "industry", "script",
                                  "problem"]
