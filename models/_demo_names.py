"""Firm names for the demo archive, written the way Korean archives write them.

A firm's *base name* is a two-syllable stem plus an industry word
(대한 + 전선 → 대한전선). The balance sheets print it with a legal-form marker
(``대한전선(주)``, ``주식회사 대한전선`` ...) and the contract documents write it
differently again: another marker, spacing, an added or dropped 공업/산업, a
one-character typo, Hanja (``大韓電線株式會社``) or a romanization
(``Daehan Cable Co., Ltd.``). Stems are reused across firms, so different firms
have very similar names (대한전선 vs 대한전기). Also the foreign sellers and the
cancellation reasons written in the contract documents. Pure functions of a
numpy ``Generator``; no I/O.
"""
from __future__ import annotations

import numpy as np

# Syllable → (romanization as used in 1970s company names, Hanja).
_SYLLABLES: dict[str, tuple[str, str]] = {
    "대": ("Dae", "大"), "동": ("Dong", "東"), "한": ("Han", "韓"), "삼": ("Sam", "三"),
    "신": ("Shin", "新"), "태": ("Tae", "泰"), "금": ("Kum", "金"), "경": ("Kyung", "京"),
    "일": ("Il", "一"), "흥": ("Heung", "興"), "국": ("Kook", "國"), "제": ("Je", "濟"),
    "유": ("Yu", "有"), "세": ("Se", "世"), "고": ("Ko", "高"), "성": ("Sung", "星"),
    "영": ("Young", "永"), "미": ("Mi", "美"), "화": ("Hwa", "和"), "진": ("Jin", "進"),
    "우": ("Woo", "宇"), "해": ("Hae", "海"), "원": ("Won", "元"), "광": ("Kwang", "光"),
    "천": ("Chun", "天"), "명": ("Myung", "明"), "남": ("Nam", "南"), "서": ("Seo", "瑞"),
    "중": ("Jung", "中"), "효": ("Hyo", "曉"), "양": ("Yang", "洋"), "아": ("A", "亞"),
    "도": ("Do", "道"), "림": ("Rim", "林"), "창": ("Chang", "昌"), "보": ("Bo", "寶"),
    "풍": ("Poong", "豊"), "산": ("San", "山"),
}
_FIRST = "대동한삼신태금경일흥국제유세고성영미화진우해원광천명남서중효"
_SECOND = "한양성신화진일아도원흥우영림창광명보풍산국"

# Industry words by sector index (S01..S10): (Hangul, Hanja or "", English).
SECTOR_WORDS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (("식품", "食品", "Foods"), ("제과", "製菓", "Confectionery"), ("제당", "製糖", "Sugar"),
     ("유업", "乳業", "Dairy"), ("제분", "製粉", "Flour Mills"), ("주조", "酒造", "Brewery")),
    (("방직", "紡織", "Spinning"), ("섬유", "纖維", "Textile"), ("모방", "毛紡", "Wool Spinning"),
     ("면업", "綿業", "Cotton"), ("합섬", "合纖", "Synthetic Fiber"), ("직물", "織物", "Fabrics")),
    (("피복", "被服", "Garment"), ("양행", "洋行", "Trading"), ("물산", "物産", "Corporation"),
     ("실업", "實業", "Enterprise"), ("니트", "", "Knit"), ("제화", "製靴", "Shoes")),
    (("제지", "製紙", "Paper"), ("합판", "合板", "Plywood"), ("목재", "木材", "Lumber"),
     ("펄프", "", "Pulp"), ("지업", "紙業", "Paper Products")),
    (("화학", "化學", "Chemical"), ("화성", "化成", "Chemical"), ("석유화학", "石油化學", "Petrochemical"),
     ("비료", "肥料", "Fertilizer"), ("유화", "油化", "Petrochemical"), ("제약", "製藥", "Pharmaceutical")),
    (("요업", "窯業", "Ceramics"), ("양회", "洋灰", "Cement"), ("시멘트", "", "Cement"),
     ("유리", "琉璃", "Glass"), ("도기", "陶器", "Pottery")),
    (("제철", "製鐵", "Steel"), ("철강", "鐵鋼", "Steel"), ("금속", "金屬", "Metal"),
     ("강업", "鋼業", "Steel Works"), ("특수강", "特殊鋼", "Special Steel"), ("주물", "鑄物", "Foundry")),
    (("기계", "機械", "Machinery"), ("중공업", "重工業", "Heavy Industries"), ("정밀", "精密", "Precision"),
     ("자동차", "自動車", "Motor"), ("조선", "造船", "Shipbuilding"), ("기공", "機工", "Engineering")),
    (("전자", "電子", "Electronics"), ("전기", "電氣", "Electric"), ("전선", "電線", "Cable"),
     ("통신", "通信", "Telecommunication"), ("전관", "電管", "Electron Tube"), ("전기공업", "電氣工業", "Electric Industrial")),
    (("산업", "産業", "Industrial"), ("공업", "工業", "Industrial"), ("상사", "商事", "Trading"),
     ("공예", "工藝", "Crafts"), ("완구", "玩具", "Toys"), ("고무", "", "Rubber")),
)
_ADDED = (("공업", "工業", "Industrial"), ("산업", "産業", "Industrial"))
_WORD_HANJA = {w[0]: w[1] for words in SECTOR_WORDS for w in words} | {w[0]: w[1] for w in _ADDED}
_WORD_ENGLISH = {w[0]: w[2] for words in SECTOR_WORDS for w in words} | {w[0]: w[2] for w in _ADDED}

# One-character confusions seen in digitized documents (OCR and hand copying).
_TYPOS = {"성": "선", "선": "성", "한": "환", "양": "량", "동": "둥", "전": "젼", "화": "하",
          "산": "신", "진": "징", "대": "태", "태": "대", "신": "심", "영": "형", "광": "강",
          "명": "멍", "원": "온", "흥": "홍", "창": "장", "금": "근", "제": "재", "기": "지",
          "자": "지", "학": "핵", "업": "엄", "공": "곡", "섬": "삼", "방": "빙", "철": "첨"}

_BS_STYLES = ("{}(주)", "(주){}", "주식회사 {}", "{}주식회사", "㈜{}")
_BS_STYLE_P = (0.35, 0.2, 0.2, 0.1, 0.15)
_CONTRACT_STYLES = ("{}(주)", "(주){}", "(주) {}", "주식회사 {}", "{} 주식회사", "㈜{}", "{}㈜",
                    "株式會社 {}", "{}", "{} (주)")
_ROMAN_SUFFIX = ("Co., Ltd.", "Co., Ltd.", "Co.", "Inc.", "Corp.", "Ind. Co., Ltd.")


def stem_pool(rng: np.random.Generator) -> np.ndarray:
    """All two-syllable stems in a seeded order; earlier stems are reused more often."""
    stems = np.array([a + b for a in _FIRST for b in _SECOND if a != b])
    return stems[rng.permutation(len(stems))]


def word_candidates(sector: int) -> tuple[list[str], list[str]]:
    """(plain industry words, their ``…공업`` forms) for a sector; words ending in 업 take no 공업."""
    words = [w[0] for w in SECTOR_WORDS[sector]]
    return words, [w + "공업" for w in words if not w.endswith("업")]


def trade_name_key(sector: int, stem: str, word: str) -> tuple[int, str]:
    """(sector, name without 공업/산업): two firms with one key would be the same trade name in one line of business.

    Korea's Commercial Act (1962, arts. 22–23) bars registering or using another's trade name,
    or one that may be mistaken for it, for the same business, and the Unfair Competition
    Prevention Act (1961) bars imitating a known firm's name. So the demo never gives one key to
    two firms (대한전선 and 대한전선공업 are never two cable makers); names one syllable apart
    (대한전선/대한전기) and stems shared across sectors (대한전선/대한제철) remain, as in the archives.
    """
    for generic in ("공업", "산업"):
        if word.endswith(generic):
            word = word[: -len(generic)]
    return int(sector), stem + word


def draw_base_names(rng: np.random.Generator, sectors: np.ndarray, stems: np.ndarray,
                    fixed_stem: np.ndarray, taken: set[tuple[int, str]] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A (stem, word) per firm with a trade-name key (:func:`trade_name_key`) not in ``taken``.

    ``fixed_stem[i]`` ("" = free) forces a group's stem. Free stems are drawn with Zipf-like
    weights ∝ 1/(rank+5), so popular stems recur across firms and sectors: near-duplicate
    names are common, as in the archives. ``taken`` is updated in place.
    """
    taken = set() if taken is None else taken
    cdf = np.cumsum(1.0 / (np.arange(len(stems)) + 5.0))
    cdf /= cdf[-1]
    out_stem, out_word = [], []
    for sector, fixed in zip(sectors, fixed_stem):
        plain, suffixed = word_candidates(int(sector))
        cands = plain + suffixed
        pairs = [(fixed, cands[k]) for k in rng.permutation(len(cands))] if fixed else []
        for _ in range(50):  # a quarter of free names carry 공업 (대한전선공업)
            pool = suffixed if suffixed and rng.random() < 0.25 else plain
            pairs.append((stems[min(np.searchsorted(cdf, rng.random()), len(stems) - 1)],
                          pool[rng.integers(len(pool))]))
        stem, word = next((p for p in pairs if trade_name_key(sector, *p) not in taken), pairs[-1])
        while trade_name_key(sector, stem, word) in taken:  # practically never: fall back to a fresh stem
            stem = stems[rng.integers(len(stems))]
        taken.add(trade_name_key(sector, stem, word))
        out_stem.append(stem)
        out_word.append(word)
    return np.array(out_stem, dtype=object), np.array(out_word, dtype=object)


def romanize(stem: str, word: str) -> str:
    """``대한``+``전선`` → ``Daehan Cable`` (stem romanized, industry word translated)."""
    head = "".join(_SYLLABLES[s][0] for s in stem).capitalize()
    tail = _WORD_ENGLISH.get(word)
    if tail is None:  # compound word such as 전자공업
        tail = _WORD_ENGLISH[word[:-2]] + " " + _WORD_ENGLISH[word[-2:]]
    return f"{head} {tail}"


def hanja(stem: str, word: str) -> str | None:
    """Hanja spelling ``大韓電線``, or None when a part has no Hanja form."""
    tail = _WORD_HANJA.get(word)
    if tail is None and len(word) > 2 and word[-2:] in _WORD_HANJA:
        head_w = _WORD_HANJA.get(word[:-2], "")
        tail = head_w + _WORD_HANJA[word[-2:]] if head_w else ""
    if not tail:
        return None
    return "".join(_SYLLABLES[s][1] for s in stem) + tail


def typo(rng: np.random.Generator, text: str) -> str:
    """Replace one character by a look-alike (or drop the last one if none qualifies)."""
    spots = [k for k, ch in enumerate(text) if ch in _TYPOS]
    if not spots:
        return text[:-1]
    k = spots[rng.integers(len(spots))]
    return text[:k] + _TYPOS[text[k]] + text[k + 1:]


def balance_sheet_names(rng: np.random.Generator, stems: np.ndarray, words: np.ndarray,
                        change_share: float = 0.12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(early name, late name, switch draw) per firm as printed in the annual reports.

    Most firms print one name every year. A ``change_share`` of firms switches
    form once (an added 공업/산업 dropped, or another legal-form marker); the
    caller picks the switch year from the returned uniform draw.
    """
    n = len(stems)
    style = rng.choice(len(_BS_STYLES), size=n, p=_BS_STYLE_P)
    late = np.array([_BS_STYLES[k].format(s + w) for k, s, w in zip(style, stems, words)], dtype=object)
    early = late.copy()
    for i in np.flatnonzero(rng.random(n) < change_share):
        core = stems[i] + words[i]
        if not words[i].endswith("업") and rng.random() < 0.5:
            early[i] = _BS_STYLES[style[i]].format(core + "공업")
        else:
            early[i] = _BS_STYLES[(style[i] + 1 + rng.integers(len(_BS_STYLES) - 1)) % len(_BS_STYLES)].format(core)
    return early, late, rng.random(n)


def contract_name(rng: np.random.Generator, stem: str, word: str, p_roman: float = 0.08,
                  p_hanja: float = 0.05, p_typo: float = 0.08, p_space: float = 0.15,
                  p_added: float = 0.2) -> str:
    """The domestic party's name as written in a contract document (one independent draw)."""
    u = rng.random()
    if u < p_roman:
        return f"{romanize(stem, word)} {_ROMAN_SUFFIX[rng.integers(len(_ROMAN_SUFFIX))]}"
    if u < p_roman + p_hanja and (h := hanja(stem, word)) is not None:
        return (f"{h}株式會社", f"株式會社 {h}", f"(株){h}")[rng.integers(3)]
    if word.endswith(("공업", "산업")):
        if len(word) > 2 and rng.random() < p_added:
            word = word[:-2]                              # 전자공업 → 전자
    elif rng.random() < p_added:
        word = word + _ADDED[rng.integers(2)][0]          # 전선 → 전선공업
    core = stem + (" " if rng.random() < p_space else "") + word
    if rng.random() < p_typo:
        core = typo(rng, core)
    return _CONTRACT_STYLES[rng.integers(len(_CONTRACT_STYLES))].format(core)


# Foreign technology sellers by country (shares as in the archive: Japan 57 %, USA 21 %) and the
# sectors they license (0-based sector index), and cancellation reasons by who canceled.
COUNTRIES = (("Japan", 0.57), ("USA", 0.21), ("Germany", 0.08), ("UK", 0.05), ("France", 0.04),
             ("Italy", 0.02), ("Switzerland", 0.01), ("Netherlands", 0.01), ("Sweden", 0.01))
FOREIGN_SELLERS = {  # seller → sectors it licenses (0-based)
    "Japan": (("Mitsubishi Heavy Industries", (7, 6)), ("Hitachi", (8, 7)), ("Toshiba", (8,)),
              ("Nippon Steel", (6,)), ("Kobe Steel", (6, 7)), ("Sumitomo Chemical", (4,)),
              ("Mitsui Toatsu Chemicals", (4,)), ("Toray Industries", (1, 4)), ("Teijin", (1,)),
              ("Matsushita Electric", (8,)), ("Sanyo Electric", (8,)), ("NEC", (8,)),
              ("Ishikawajima-Harima Heavy Industries", (7,)), ("Kawasaki Heavy Industries", (7,)),
              ("Asahi Glass", (5,)), ("Onoda Cement", (5,)), ("Ajinomoto", (0,)), ("Kanebo", (1, 2)),
              ("Oji Paper", (3,)), ("Yamaha", (9, 7)), ("Nissan Motor", (7,)), ("Tokyo Juki", (2, 7)),
              ("Morinaga Milk", (0,)), ("Kuraray", (1,)), ("Nippon Sheet Glass", (5,)), ("Bridgestone", (9,))),
    "USA": (("General Electric", (8, 7)), ("Westinghouse Electric", (8,)), ("Motorola", (8,)),
            ("Texas Instruments", (8,)), ("Dow Chemical", (4,)), ("Union Carbide", (4,)), ("DuPont", (4, 1)),
            ("Caterpillar", (7,)), ("Corning Glass Works", (5,)), ("Gulf Oil", (4,)),
            ("Kimberly-Clark", (3,)), ("Levi Strauss", (2,)), ("Armco Steel", (6,)), ("Cummins Engine", (7,))),
    "Germany": (("Siemens", (8, 7)), ("BASF", (4,)), ("Bayer", (4,)), ("Hoechst", (4, 1)),
                ("Krupp", (6, 7)), ("MAN", (7,)), ("Robert Bosch", (7, 8)), ("Thyssen", (6,))),
    "UK": (("Imperial Chemical Industries", (4,)), ("GEC", (8,)), ("British Leyland", (7,)),
           ("Courtaulds", (1,)), ("British Steel", (6,))),
    "France": (("Rhône-Poulenc", (4,)), ("Alsthom", (7, 8)), ("Thomson-CSF", (8,)), ("Saint-Gobain", (5,)),
               ("Usinor", (6,))),
    "Italy": (("Fiat", (7,)), ("Montedison", (4,))), "Switzerland": (("Sulzer", (7,)), ("Ciba-Geigy", (4,))),
    "Netherlands": (("Philips", (8,)), ("Akzo", (4, 1))), "Sweden": (("ASEA", (8, 7)), ("SKF", (7,))),
}
CANCEL_REASONS = {
    "foreign": ("기술제공자 파산 (licensor bankruptcy)", "기술제공사 경영진 교체 (change of management at licensor)",
                "기술제공자의 계약조건 변경 요구 (licensor demanded new terms)",
                "기술제공자 일방적 계약 해지 (licensor withdrew)"),
    "domestic": ("자금사정 악화 (cash-flow difficulties)", "사업계획 변경 (change of business plan)",
                 "소요자금 조달 곤란 (financing not obtained)", "국내 수요 부진 (weak domestic demand)"),
}


def foreign_partner(rng: np.random.Generator, sector: int, avoid: set[str]) -> tuple[str, str]:
    """Country by the archive's shares (Japan 57 %, USA 21 % …), then a seller licensing the sector."""
    for _ in range(20):
        country = COUNTRIES[rng.choice(len(COUNTRIES), p=[c[1] for c in COUNTRIES])][0]
        sellers = FOREIGN_SELLERS[country]
        pool = [f for f, secs in sellers if sector in secs] or [f for f, _ in sellers]
        seller = pool[rng.integers(len(pool))]
        if seller not in avoid:
            return seller, country
    return seller, country
