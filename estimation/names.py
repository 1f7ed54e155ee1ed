"""Firm-name keys for matching Korean archival names across sources.

Every key starts from the same cleaning (:func:`clean_firm_name`):

1. Unicode NFKC: full-width letters and brackets become ASCII, ``㈜`` → ``(주)``;
2. lower-casing;
3. Hanja → Hangul with the ``hanja`` package (``大韓電線株式會社`` → ``대한전선주식회사``);
4. legal-form markers (:data:`LEGAL_FORMS`: 주식회사, (주), 株式會社, Co., Ltd., Inc.,
   Corp. …) removed wherever they stand, before or after the name;
5. punctuation turned into spaces.

From the cleaned words the keys are built:

* :func:`standardize_firm_name` — the words joined without spaces (``대한전선``,
  ``daehancable``): the exact-match key;
* :func:`core_firm_name` — the standardized key without the common words of
  :data:`COMMON_WORDS` (공업, 산업, 제조, industrial …), which archives add and drop
  freely (``대한전선공업`` → ``대한전선``);
* :func:`romanized_firm_name` — Latin letters only: the distinctive part of a Hangul
  name romanized with the Revised Romanization and its industry words translated
  with :data:`INDUSTRY_WORDS` (``대한제강(주)`` → ``daehan steel``), a romanized
  input lower-cased with markers and common words removed (``Daehan Steel Co.,
  Ltd.`` → ``daehan steel``);
* :func:`romanized_key` — the romanized name with the distinctive part folded by
  :func:`fold_romanization`, so the older spellings of the archives and the
  Revised Romanization meet (``Kumsung`` / ``geumseong`` → ``kumsunk``);
* :func:`romanized_stem` — the folded distinctive part alone, a script-independent blocking key;
* :func:`industry_words` — the English industry words alone.

:func:`name_keys` computes all of them for a Series, once per distinct name.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import hanja
import pandas as pd
from korean_romanizer.romanizer import Romanizer

LEGAL_FORMS = (
    "주식회사", "유한회사", "합자회사", "합명회사", "株式會社", "株式会社", "(주)", "(株)", "㈜", "(유)",
    "co.,ltd.", "co., ltd.", "co.ltd.", "company", "limited", "corporation",
    "co.", "ltd.", "inc.", "corp.", "ltd", "inc", "corp", "co",
)
_LATIN_FORMS = sorted({unicodedata.normalize("NFKC", f) for f in LEGAL_FORMS if f.isascii()}, key=len, reverse=True)
_HANGUL_FORMS = sorted({hanja.translate(unicodedata.normalize("NFKC", f), "substitution")
                        for f in LEGAL_FORMS if not f.isascii()}, key=len, reverse=True)
# Latin markers only as whole words ("inc" must not cut "Lincoln"); Hangul markers anywhere.
_LATIN_MARKER = re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(f) for f in _LATIN_FORMS) + r")(?![a-z0-9])")
_HANGUL_MARKER = re.compile(r"\(\s*주\s*\)|" + "|".join(re.escape(f) for f in _HANGUL_FORMS))
_NON_WORD = re.compile(r"[\W_]+")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[a-z]")

# Words that say nothing about which firm it is: archives add and drop them (대한전선 / 대한전선공업).
COMMON_WORDS: dict[str, tuple[str, ...]] = {
    "hangul": ("공업", "산업", "제조"),
    "latin": ("industrial", "industries", "industry", "ind", "manufacturing", "mfg", "enterprise",
              "enterprises", "company"),
}
# Generic words dropped from the romanized name only: their English renderings are loose
# (물산 is "Corporation" or "C&T", 실업 "Enterprise" or "Industrial").
_ROMAN_GENERIC = ("공업", "산업", "제조", "물산", "실업", "기업")

# Industry words of Korean firm names and the English word firms use for them when writing
# their name in Latin letters (삼성전자 = Samsung Electronics). Synonyms share one English word.
INDUSTRY_WORDS: dict[str, str] = {
    "식품": "foods", "제과": "confectionery", "제당": "sugar", "유업": "dairy", "제분": "flour",
    "주조": "brewery", "양조": "brewery", "맥주": "brewery", "음료": "beverage", "수산": "fisheries",
    "방직": "spinning", "방적": "spinning", "섬유": "textile", "모방": "wool", "면업": "cotton",
    "합섬": "synthetic", "화섬": "synthetic", "직물": "fabrics", "염직": "dyeing", "염색": "dyeing",
    "피복": "garment", "의류": "garment", "니트": "knit", "제화": "shoes", "양행": "trading",
    "상사": "trading", "무역": "trading", "교역": "trading",
    "제지": "paper", "지업": "paper", "합판": "plywood", "목재": "lumber", "펄프": "pulp",
    "화학": "chemical", "화성": "chemical", "석유화학": "petrochemical", "유화": "petrochemical",
    "비료": "fertilizer", "제약": "pharmaceutical", "약품": "pharmaceutical", "정유": "refinery",
    "요업": "ceramics", "도기": "pottery", "도자기": "pottery", "양회": "cement", "시멘트": "cement",
    "유리": "glass", "제철": "steel", "철강": "steel", "제강": "steel", "강업": "steel",
    "특수강": "specialsteel", "금속": "metal", "주물": "foundry", "제련": "smelting", "광업": "mining",
    "기계": "machinery", "중공업": "heavy", "중기": "heavyequipment", "정밀": "precision",
    "자동차": "motor", "조선": "shipbuilding", "기공": "engineering", "건설": "construction",
    "해운": "shipping", "타이어": "tire", "전자": "electronics", "전기": "electric", "전선": "cable",
    "통신": "telecommunication", "전관": "electrontube", "반도체": "semiconductor", "전지": "battery",
    "공예": "crafts", "완구": "toys", "고무": "rubber", "가스": "gas", "전력": "power",
}
# English words and phrases → the same English word as above (longest phrase first).
_ENGLISH_WORDS: dict[tuple[str, ...], str] = {
    tuple(k.split()): v for k, v in {
        "food": "foods", "foods": "foods", "confectionery": "confectionery", "sugar": "sugar",
        "dairy": "dairy", "flour": "flour", "flour mills": "flour", "flour mill": "flour",
        "brewery": "brewery", "brewing": "brewery", "beverage": "beverage", "beverages": "beverage",
        "fisheries": "fisheries", "spinning": "spinning", "textile": "textile", "textiles": "textile",
        "wool": "wool", "wool spinning": "wool", "woolen": "wool", "cotton": "cotton",
        "synthetic fiber": "synthetic", "synthetic fibers": "synthetic", "synthetic": "synthetic",
        "fabrics": "fabrics", "fabric": "fabrics", "dyeing": "dyeing", "garment": "garment",
        "garments": "garment", "knit": "knit", "knitting": "knit", "shoes": "shoes", "shoe": "shoes",
        "trading": "trading", "paper": "paper", "paper products": "paper", "paper mfg": "paper",
        "plywood": "plywood", "lumber": "lumber", "pulp": "pulp", "chemical": "chemical",
        "chemicals": "chemical", "petrochemical": "petrochemical", "petrochemicals": "petrochemical",
        "fertilizer": "fertilizer", "fertilizers": "fertilizer", "pharmaceutical": "pharmaceutical",
        "pharmaceuticals": "pharmaceutical", "refinery": "refinery", "oil refining": "refinery",
        "ceramics": "ceramics", "ceramic": "ceramics", "pottery": "pottery", "cement": "cement",
        "glass": "glass", "steel": "steel", "iron steel": "steel", "steel works": "steel",
        "steel mill": "steel", "special steel": "specialsteel", "metal": "metal", "metals": "metal",
        "foundry": "foundry", "smelting": "smelting", "mining": "mining", "machinery": "machinery",
        "machine": "machinery", "heavy industries": "heavy", "heavy industry": "heavy",
        "heavy ind": "heavy", "heavy equipment": "heavyequipment", "precision": "precision",
        "motor": "motor", "motors": "motor", "shipbuilding": "shipbuilding", "engineering": "engineering",
        "construction": "construction", "shipping": "shipping", "tire": "tire", "tires": "tire",
        "electronics": "electronics", "electronic": "electronics", "electric": "electric",
        "electrical": "electric", "cable": "cable", "electric wire": "cable", "wire cable": "cable",
        "telecommunication": "telecommunication", "telecommunications": "telecommunication",
        "electron tube": "electrontube", "electron tubes": "electrontube",
        "semiconductor": "semiconductor", "battery": "battery", "crafts": "crafts", "toys": "toys",
        "toy": "toys", "rubber": "rubber", "gas": "gas", "power": "power",
    }.items()}
_ROMAN_DROP = set(COMMON_WORDS["latin"]) | {"corporation"}
_HANGUL_ENDINGS = set(INDUSTRY_WORDS) | set(_ROMAN_GENERIC)
_LONGEST_WORD = max(map(len, _HANGUL_ENDINGS))
_HANJA = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FOLDS = (("sh", "s"), ("eo", "u"), ("eu", "u"), ("oo", "u"), ("ou", "u"), ("wu", "u"),
          ("j", "ch"), ("g", "k"), ("d", "t"), ("b", "p"), ("r", "l"))

PROBLEM_EMPTY = "empty"
PROBLEM_ONLY_MARKERS = "only legal-form markers"


@lru_cache(maxsize=200_000)
def clean_firm_name(name: str) -> tuple[str, ...]:
    """The words of a name after NFKC, lower-casing, Hanja → Hangul, marker and punctuation removal."""
    text = unicodedata.normalize("NFKC", name).lower()
    if _HANJA.search(text):
        text = hanja.translate(text, "substitution")
    text = _HANGUL_MARKER.sub(" ", text)
    text = _LATIN_MARKER.sub(" ", text)
    return tuple(word for word in _NON_WORD.split(text) if word)


def _text(name) -> str:
    """The name as a string; '' for None, NA and NaN."""
    return "" if name is None or (not isinstance(name, str) and pd.isna(name)) else str(name)


def standardize_firm_name(name: str | None) -> str:
    """The comparison key of a firm name; '' for a missing name.

    NFKC folds full-width forms and ㈜ into (주); Hanja is read as Hangul;
    legal-form markers are removed wherever they stand, and spacing and
    punctuation dropped; Latin letters are lower-cased.
    """
    return "".join(clean_firm_name(_text(name)))


def _near_common_word(suffix: str) -> bool:
    """A two-syllable ending one syllable off a Hangul common word (공엄, 곡업, 신업 — typos of 공업, 산업),
    unless it is a real word of :data:`INDUSTRY_WORDS` (유업, 강업, 공예) or 공사/공단."""
    return (len(suffix) == 2 and suffix not in INDUSTRY_WORDS and suffix not in ("공사", "공단")
            and any(sum(a != b for a, b in zip(suffix, word)) == 1 for word in COMMON_WORDS["hangul"]))


def _without_common_words(words: tuple[str, ...]) -> str:
    """Joined words without :data:`COMMON_WORDS` (Hangul ones removed inside words too), then
    without trailing misspelt common words while at least two characters remain."""
    kept = [w for w in words if w not in COMMON_WORDS["latin"]]
    text = "".join(kept)
    for word in COMMON_WORDS["hangul"]:
        text = text.replace(word, "")
    while len(text) >= 4 and _near_common_word(text[-2:]):
        text = text[:-2]
    return text


def core_firm_name(name: str | None) -> str:
    """The standardized key without common words (공업, 산업, 제조, industrial …).

    ``대한전선공업(주)`` and ``대한 전선`` share the core ``대한전선``; a misspelt common word
    at the end goes too (``대한전선공엄`` → ``대한전선``). A name made
    only of common words keeps its standardized key as core, so no real name gets
    an empty core.
    """
    words = clean_firm_name(_text(name))
    return _without_common_words(words) or "".join(words)


def _split_hangul(text: str) -> tuple[str, list[str]]:
    """(distinctive part, English industry words) of a Hangul word, stripping known words from the end.

    The longest known word ending the text goes first (중공업 before 공업); generic words are dropped.
    """
    english: list[str] = []
    while True:
        known = next((text[-n:] for n in range(_LONGEST_WORD, 1, -1)
                      if len(text) > n and text[-n:] in _HANGUL_ENDINGS), None)
        if known is None:
            return text, english[::-1]
        if known in INDUSTRY_WORDS:
            english.append(INDUSTRY_WORDS[known])
        text = text[: -len(known)]


def _split_latin(words: list[str]) -> tuple[str, list[str]]:
    """(distinctive part, English industry words) of Latin words, reading known phrases from the end.

    The longest known phrase ending the words goes first (heavy industries before industries);
    generic words (industrial, corporation …) are dropped.
    """
    english: list[str] = []
    while words:
        size = next((n for n in (3, 2, 1) if len(words) > n and (tuple(words[-n:]) in _ENGLISH_WORDS
                                                               or (n == 1 and words[-1] in _ROMAN_DROP))), None)
        if size is None:
            break
        if tuple(words[-size:]) in _ENGLISH_WORDS:
            english.append(_ENGLISH_WORDS[tuple(words[-size:])])
        words = words[:-size]
    return "".join(words), english[::-1]


@lru_cache(maxsize=50_000)
def _romanize(hangul: str) -> str:
    """Revised Romanization of a Hangul string, lower-cased (korean-romanizer)."""
    return Romanizer(hangul).romanize().lower()


@lru_cache(maxsize=200_000)
def _roman_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """(romanized distinctive part, English industry words) of a name.

    Adjacent words of one script are read together (spacing in Korean names is arbitrary:
    ``중원 펄프공업`` is ``중원펄프공업``): Hangul runs are split by :func:`_split_hangul` and
    romanized, Latin runs split by :func:`_split_latin`.
    """
    stem_parts: list[str] = []
    english: list[str] = []
    for is_hangul, run in itertools.groupby(clean_firm_name(name), key=lambda w: bool(_HANGUL.search(w))):
        words = list(run)
        if is_hangul:
            stem, found = _split_hangul("".join(words))
            stem_parts.append(_romanize(stem))
        else:
            stem, found = _split_latin(words)
            stem_parts.append(stem)
        english += found
    return re.sub(r"[^a-z0-9]", "", "".join(stem_parts)), tuple(english)


def romanized_firm_name(name: str | None) -> str:
    """Latin-letter form: distinctive part romanized (Revised Romanization), industry words in English.

    ``대한제강(주)`` → ``daehan steel``; ``Daehan Steel Co., Ltd.`` → ``daehan steel``;
    common words (공업, 산업, Industrial, Ind. …) are dropped. '' for a missing name.
    """
    stem, english = _roman_parts(_text(name))
    return " ".join(part for part in (stem, *english) if part)


def fold_romanization(text: str) -> str:
    """A coarse spelling of a romanized word that older romanizations and the Revised one share.

    ㅓ written eo/u/o and ㅡ written eu/u become u, oo/ou become u, sh → s, and the
    voiced/voiceless pairs g/k, d/t, b/p, j/ch and r/l collapse:
    Kum/geum → kum, Sung/seong → sunk, Kook/guk → kuk, Woo/u → u, Rim/lim → lim.
    Repeated until nothing changes, so a fold that creates a new pair (Haewoo → haeu) is
    folded on like the Revised spelling (haeu → hau).
    """
    while True:
        folded = text
        for old, new in _FOLDS:
            folded = folded.replace(old, new)
        if folded == text:
            return folded
        text = folded


def romanized_key(name: str | None) -> str:
    """:func:`romanized_firm_name` with its distinctive part folded by :func:`fold_romanization`."""
    stem, english = _roman_parts(_text(name))
    return " ".join(part for part in (fold_romanization(stem), *english) if part)


def romanized_stem(name: str | None) -> str:
    """The distinctive part of :func:`romanized_key` alone (no industry words): ``대한전선공업`` and
    ``Taehan Cable Co.`` → ``taehan``. A script-independent blocking key."""
    return fold_romanization(_roman_parts(_text(name))[0])


def industry_words(name: str | None) -> str:
    """The English industry words of a name, space-separated ('' if none is recognised):
    ``대한전선공업(주)`` → ``cable``, ``Daehan Heavy Industries Co.`` → ``heavy``."""
    return " ".join(_roman_parts(_text(name))[1])


def name_script(name: str | None) -> str:
    """'hangul' if the standardized name has Hangul (Hanja counts as Hangul), 'latin' if only Latin, else ''."""
    key = standardize_firm_name(name)
    return "hangul" if _HANGUL.search(key) else ("latin" if _LATIN.search(key) else "")


def name_problem(name: str | None) -> str | None:
    """Why a name cannot be matched: 'empty', 'only legal-form markers', or None if usable."""
    text = _text(name)
    if not _NON_WORD.sub("", unicodedata.normalize("NFKC", text)):
        return PROBLEM_EMPTY
    if not standardize_firm_name(text):
        return PROBLEM_ONLY_MARKERS
    return None


def name_keys(names: pd.Series) -> pd.DataFrame:
    """All keys of each name, computed once per distinct name; same index as ``names``.

    Columns: name (raw), std (:func:`standardize_firm_name`), core (:func:`core_firm_name`),
    roman (:func:`romanized_firm_name`), roman_key (:func:`romanized_key`), roman_stem
    (:func:`romanized_stem`), industry (:func:`industry_words`), script (:func:`name_script`),
    problem (:func:`name_problem`).
    """
    raw = names.map(_text).astype(object)
    unique = list(pd.unique(raw.to_numpy()))
    keys = pd.DataFrame({
        "std": [standardize_firm_name(n) for n in unique],
        "core": [core_firm_name(n) for n in unique],
        "roman": [romanized_firm_name(n) for n in unique],
        "roman_key": [romanized_key(n) for n in unique],
        "roman_stem": [romanized_stem(n) for n in unique],
        "industry": [industry_words(n) for n in unique],
        "script": [name_script(n) for n in unique],
        "problem": [name_problem(n) for n in unique],
    }, index=unique)
    out = keys.reindex(raw.to_numpy())
    out.index = names.index
    return pd.concat([names.rename("name"), out], axis=1)
