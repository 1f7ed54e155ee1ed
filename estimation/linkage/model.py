"""The Fellegi–Sunter model in splink (DuckDB backend): comparisons, blocking, training, scoring.

splink (and so DuckDB) is imported inside the functions, so ``estimation`` stays importable
without it.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from dataclasses import dataclass

import pandas as pd

from .settings import LinkageSettings

WINDOW_OVERLAP = "l.window_lo <= r.window_hi AND r.window_lo <= l.window_hi"
BLOCKING_KEYS = ("block_roman_stem", "block_stem", "block_head_tail", "block_second_tail")
GAP_SQL = "greatest(year_lo_l - year_hi_r, year_lo_r - year_hi_l, 0)"

# Name levels, most specific first: (label, SQL condition, term-frequency column, starting m).
# Same-script levels (Hangul/Hanja against Hangul) and cross-script levels (a romanized name
# against a Hangul one) never apply to the same pair, so between the candidates of one contract
# the m values compare ways of writing the name in that contract's script. The starting m values
# are only where EM begins; EM re-estimates every m and u.
NAME_LEVELS = (
    ("name exact after standardization", "name_std_l = name_std_r", "name_std", 0.6),
    ("name exact without 공업/산업", "name_core_l = name_core_r", None, 0.2),
    ("name one letter (jamo) apart", "script_l = script_r AND char_edits(name_core_jamo_l, name_core_jamo_r) <= 1",
     None, 0.05),
    ("romanized name exact", "script_l <> script_r AND name_roman_key_l = name_roman_key_r", None, 0.05),
    ("name one syllable apart", "script_l = script_r AND char_edits(name_core_l, name_core_r) <= 1", None, 0.03),
    ("romanized name close",
     "script_l <> script_r AND jaro_winkler_similarity(name_roman_key_l, name_roman_key_r) >= 0.9", None, 0.02),
    ("name similar", "script_l = script_r AND char_edits(name_core_l, name_core_r) <= 2", None, 0.03),
    ("romanized name similar",
     "script_l <> script_r AND jaro_winkler_similarity(name_roman_key_l, name_roman_key_r) >= 0.8", None, 0.01),
)
NAME_ELSE = ("names differ", 0.02)
ACTIVITY_LEVELS = (
    ("active in the contract year", f"{GAP_SQL} = 0"),
    ("1 year outside the active years", f"{GAP_SQL} = 1"),
)
ACTIVITY_ELSE = "2+ years outside the active years"
SELLER_COMPARISON = "seller_sector"
SELLER_NULL = "seller's sectors unknown"
_SECTOR_IN = "contains({column}_l, chr(31) || CAST(sector_r AS VARCHAR) || chr(31))"
_SAME_INDUSTRY = "name_industry_l IS NOT DISTINCT FROM name_industry_r"
# Do the two names say the same of the industry (the same English industry word, or none on both)?
SELLER_GROUPS = ("same industry word", "different industry word")
SELLER_PSEUDO_COUNT = 1.0  # Dirichlet prior of the seller EM: one pseudo-pair spread evenly over the levels
PARAMETER_COLUMNS = ["comparison", "level", "gamma", "m", "u", "weight"]
MIN_TRAINING_PAIRS = 200  # fewer pairs than this cannot identify ten name levels: keep the starting values


@dataclass(frozen=True)
class ScoredPairs:
    """Scored candidate pairs and the model that scored them.

    pairs: contract_id, record_id (a firm's name variant), match_probability, match_weight and,
        per comparison, its level ``gamma_<comparison>`` and weight ``mw_<comparison>`` (plus
        ``mw_tf_adj_<comparison>`` where term frequencies adjust it).
    parameters: tidy trained parameters (see :func:`parameter_table`).
    blocked_pairs: number of pairs the blocking rules generated (all scored).
    notes: what went differently from the documented method (e.g. EM could not run).
    model: the trained splink model (a settings dict), the second pass's starting point.
    trained: whether EM trained the name and activity model (False: starting parameters).
    """

    pairs: pd.DataFrame
    parameters: pd.DataFrame
    blocked_pairs: int
    notes: tuple[str, ...] = ()
    model: dict | None = None
    trained: bool = True


def char_edits(left, right):
    """Damerau–Levenshtein distance counted in characters (DuckDB's own counts UTF-8 bytes,
    so one Hangul syllable would cost up to three); an Arrow UDF over a batch of pairs."""
    import pyarrow as pa
    from rapidfuzz.distance import DamerauLevenshtein
    from rapidfuzz.process import cpdist

    a, b = left.to_pylist(), right.to_pylist()
    missing = [x is None or y is None for x, y in zip(a, b)]
    distances = cpdist([x or "" for x in a], [y or "" for y in b], scorer=DamerauLevenshtein.distance, workers=1)
    return pa.array([None if gap else int(d) for d, gap in zip(distances, missing)], type=pa.int64())


@contextlib.contextmanager
def _quiet_splink():
    """Silence splink's logging for the duration of a run, then restore the level."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _name_and_activity_comparisons() -> list:
    """The name and activity comparisons (levels in NAME_LEVELS and ACTIVITY_LEVELS)."""
    import splink.comparison_library as cl

    name_levels = [{"sql_condition": "name_std_l IS NULL OR name_std_r IS NULL", "is_null_level": True,
                    "label_for_charts": "name missing"}]
    for label, sql, tf_column, m_start in NAME_LEVELS:
        level = {"sql_condition": sql, "label_for_charts": label, "m_probability": m_start}
        if tf_column:
            level |= {"tf_adjustment_column": tf_column, "tf_adjustment_weight": 1.0}
        name_levels.append(level)
    name_levels.append({"sql_condition": "ELSE", "label_for_charts": NAME_ELSE[0], "m_probability": NAME_ELSE[1]})
    activity_levels = [{"sql_condition": "year_lo_l IS NULL OR year_lo_r IS NULL", "is_null_level": True,
                        "label_for_charts": "year missing"}]
    activity_levels += [{"sql_condition": sql, "label_for_charts": label} for label, sql in ACTIVITY_LEVELS]
    activity_levels.append({"sql_condition": "ELSE", "label_for_charts": ACTIVITY_ELSE})
    return [cl.CustomComparison(name_levels, output_column_name="name"),
            cl.CustomComparison(activity_levels, output_column_name="activity")]


def seller_levels(settings: LinkageSettings) -> list[tuple[str, str]]:
    """The seller-sector levels (label, SQL condition), most specific first; the last is ELSE.

    The contract record carries ``seller_high`` and ``seller_medium``: the sectors whose share of
    the seller's leave-one-out profile is ≥ seller_high_share, and in [seller_low_share,
    seller_high_share) (:func:`estimation.linkage.sellers.level_lists`). The three share levels
    come twice (:data:`SELLER_GROUPS`): for pairs whose names say the same of the industry (the
    same industry word — 대한전선 / 대한전선공업 both say "cable" — or none on either side) and
    for the others. A firm whose name names the contract's industry is in the contract's sector
    whether or not it is the contract's firm, so in the first group the seller cannot tell
    candidates apart and the levels weigh 0 (u = m); only the second group's u are learned
    (:func:`estimation.linkage.sellers.seller_em`).
    """
    high, low = settings.seller_high_share, settings.seller_low_share
    shares = ((f"seller's usual sector (share ≥ {high:g})", _SECTOR_IN.format(column="seller_high")),
              (f"sector the seller sometimes licenses (share {low:g}–{high:g})",
               _SECTOR_IN.format(column="seller_medium")),
              (f"sector the seller rarely licenses (share < {low:g})", None))
    levels = []
    for group, condition in zip(SELLER_GROUPS, (_SAME_INDUSTRY, None)):
        for label, sql in shares:
            parts = [c for c in (condition, sql) if c]
            levels.append((f"{label}, {group}", " AND ".join(parts) or "ELSE"))
    return levels


def _seller_comparison_dict(settings: LinkageSettings) -> dict:
    """The second pass's comparison as a splink comparison dict, every level neutral (m = u):
    how much of the contract's seller's profile is the firm's sector. Null (no evidence) when
    the seller has no profile or the firm no sector."""
    import splink.comparison_library as cl

    levels = [{"sql_condition": "seller_high_l IS NULL OR sector_r IS NULL", "is_null_level": True,
               "label_for_charts": SELLER_NULL}]
    levels += [{"sql_condition": sql, "label_for_charts": label, "m_probability": 1 / 3, "u_probability": 1 / 3}
               for label, sql in seller_levels(settings)]
    return cl.CustomComparison(levels, output_column_name=SELLER_COMPARISON).create_comparison_dict("duckdb")


def blocking_rules() -> list[str]:
    """One rule per blocking key, each restricted to firms active around the contract year:
    same stem (first two characters of the core name); same first character and same last
    two; same second character and same last two; same first four letters of the romanized key."""
    return [f"l.{key} = r.{key} AND {WINDOW_OVERLAP}" for key in BLOCKING_KEYS]


def training_rule() -> str:
    """EM's population: pairs with the same romanized stem among firms active around the
    contract year — a plain equi-join (splink's EM takes one rule, and an OR of the blocking
    rules would be a nested-loop join) that holds most candidate pairs, in both scripts."""
    return f"l.{BLOCKING_KEYS[0]} = r.{BLOCKING_KEYS[0]} AND {WINDOW_OVERLAP}"


def _count_pairs(db_api, rules: list[str]) -> int:
    """Number of distinct (contract, firm record) pairs satisfying any of the rules."""
    select = "SELECT l.unique_id AS c, r.unique_id AS f FROM a_contracts AS l JOIN b_firms AS r ON "
    union = " UNION ".join(select + rule for rule in rules)
    return int(db_api.duckdb_con.execute(f"SELECT count(*) FROM ({union})").fetchall()[0][0])


def _tf_table(firms: pd.DataFrame, u_exact: float) -> pd.DataFrame:
    """Term frequencies of the standardized name, scaled to the trained u of the exact level.

    A name used by n firms gets tf = u_exact · n / n̄ (n̄: the mean of n over firm names), so
    splink's adjustment log2(u_exact / tf) = log2(n̄ / n): a name shared by several firms is
    weaker evidence, a unique one slightly stronger. Counted on the firm side only: a firm
    that signs many contracts must not make its own name look common.
    """
    per_value = firms.dropna(subset=["name_std"]).groupby("name_std")["firm_id"].nunique()
    mean_firms = float((per_value**2).sum() / per_value.sum()) if len(per_value) else 1.0
    return pd.DataFrame({"name_std": per_value.index,
                         "tf_name_std": (u_exact * per_value / mean_firms).to_numpy(dtype="float64")})


def _tf_table_for(model: dict, firms: pd.DataFrame) -> pd.DataFrame | None:
    """The term-frequency table of the model's exact name level (:func:`_tf_table`), or None —
    and then no adjustment in the model — when the level's u was never observed (no scale)."""
    exact = _exact_level(model)
    if exact.get("tf_adjustment_column") and _probability(exact.get("u_probability")) is None:
        exact.pop("tf_adjustment_column")
        exact.pop("tf_adjustment_weight", None)
    return _tf_table(firms, exact["u_probability"]) if exact.get("tf_adjustment_column") else None


def _probability(value) -> float | None:
    """An m or u from a splink model dict; None when splink has none ("level not observed …")."""
    return float(value) if isinstance(value, (int, float)) else None


def parameter_table(model: dict) -> pd.DataFrame:
    """Tidy trained parameters: comparison, level, gamma (splink's level code: n−1 … 0 from the
    most specific level down), m, u, weight = log2(m/u). The first row is the prior
    (weight = log2 of the prior odds that a candidate pair matches)."""
    prior = model["probability_two_random_records_match"]
    rows = [("prior", "probability two random records match", None, None, None, math.log2(prior / (1 - prior)))]
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for k, level in enumerate(levels):
            m, u = _probability(level.get("m_probability")), _probability(level.get("u_probability"))
            rows.append((comparison["output_column_name"], level["label_for_charts"], len(levels) - 1 - k, m, u,
                         math.log2(m / u) if m and u else None))
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS).astype({"m": "float64", "u": "float64",
                                                                 "weight": "float64", "gamma": "Int64"})


def _exact_level(model: dict) -> dict:
    """The name comparison's exact level (the one with the term-frequency adjustment) in a model dict."""
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    return next(lv for lv in name["comparison_levels"] if lv.get("tf_adjustment_column"))


def _train(trainer, n_training: int, settings: LinkageSettings) -> tuple[str, ...]:
    """EM on the training pairs: m, u and the prior of the name and activity comparisons.

    Returns notes on any departure: with fewer than MIN_TRAINING_PAIRS pairs, or if EM fails
    on degenerate data (splink refuses an m or u driven to exactly 0), the starting
    parameters stay.
    """
    from splink.internals.exceptions import EMTrainingException

    fallback = "; starting m values, u from random sampling and prior 1/number of firm names used"
    if n_training < MIN_TRAINING_PAIRS:
        return (f"EM could not run (only {n_training} training pairs, fewer than {MIN_TRAINING_PAIRS})" + fallback,)
    try:
        trainer.training.estimate_parameters_using_expectation_maximisation(
            training_rule(), fix_u_probabilities=False, estimate_without_term_frequencies=True,
            populate_probability_two_random_records_match_from_trained_values=True,
            max_pairs=settings.em_max_pairs)
    except (EMTrainingException, ValueError) as error:
        return (f"EM could not run ({str(error).splitlines()[0]})" + fallback,)
    return ()


def _with_attributes(left, right, model: dict, columns: list[str], settings: LinkageSettings) -> tuple[dict, tuple]:
    """Add exact-match comparisons of ``columns`` (sector, region) to a trained name/activity model.

    Their u by random sampling; their m by EM on pairs with the same standardized name among
    active firms (nearly all matches; the name comparison is not estimated there) with every
    name and activity parameter and every u held fixed. Kept out of the main EM: with sector
    and region the classes become so separable that EM drives rare levels' u to zero.
    """
    import splink
    import splink.comparison_library as cl
    from splink.internals.exceptions import EMTrainingException

    fixed = _fixed(model)
    fixed["comparisons"] += [cl.ExactMatch(column).create_comparison_dict("duckdb") for column in columns]
    linker = splink.Linker([left, right], fixed, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=3e5, seed=settings.seed)
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            f"l.name_std = r.name_std AND {WINDOW_OVERLAP}", fix_u_probabilities=True,
            estimate_without_term_frequencies=True)
        notes: tuple[str, ...] = ()
    except (EMTrainingException, ValueError) as error:
        notes = (f"EM for {', '.join(columns)} could not run ({str(error).splitlines()[0]}); their default m used",)
    out = linker.misc.save_model_to_json()
    out["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return out, notes


def _fixed(model: dict) -> dict:
    """A copy of a trained model with every m and u fixed (EM then estimates only what is added)."""
    fixed = copy.deepcopy(model)
    for comparison in fixed["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level |= {"fix_m_probability": True, "fix_u_probability": True}
    return fixed


def _with_seller(db_api, left, right, model: dict, settings: LinkageSettings,
                 tf_table: pd.DataFrame | None) -> tuple[dict, pd.DataFrame, tuple[str, ...]]:
    """The second pass: the first pass's model plus the seller-sector comparison; returns the
    model, the scored pairs (probability ≥ candidate_floor) and notes.

    Every blocked pair is scored once with the seller levels neutral (its weight is then the
    first pass's); EM (:func:`estimation.linkage.sellers.seller_em`) learns the seller
    comparison's m (from every match) and u (for the names of other industries) on all blocked
    pairs with every name and activity parameter and the prior fixed; the pairs are then
    re-weighted with the learned seller weights. Not splink's EM: that one estimates every level
    of a comparison on its own, and with the few matches among pairs whose names name other
    industries it drives their m to ≈ 0 (a veto) or fails on a u of exactly 0.
    """
    import splink

    from .sellers import seller_em

    second = copy.deepcopy(model)
    second["comparisons"].append(_seller_comparison_dict(settings))
    scorer = splink.Linker([left, right], second, log_level=None)
    if tf_table is not None:
        scorer.table_management.register_term_frequency_lookup(
            db_api.register(tf_table, table_name="tf_lookup_name_std"), "name_std")
    scored = scorer.inference.predict(warning_mode="never")
    table, gamma = scored.physical_name, f"gamma_{SELLER_COMPARISON}"
    con = db_api.duckdb_con
    stats = con.execute(f"SELECT {gamma} AS gamma, round(match_weight, 2) AS weight, count(*) AS n FROM {table}"
                        f" WHERE {gamma} >= 0 GROUP BY ALL").df()
    levels = [lv for lv in second["comparisons"][-1]["comparison_levels"] if not lv.get("is_null_level")]
    fit = seller_em(stats, n_levels=len(levels) // len(SELLER_GROUPS), n_groups=len(SELLER_GROUPS),
                    neutral_groups=(0,), pseudo_count=SELLER_PSEUDO_COUNT)
    notes: tuple[str, ...] = () if fit.converged else (
        f"EM for the seller-sector comparison did not converge in {fit.iterations} iterations",)
    weights = {}
    for index, level in enumerate(levels):
        code = len(levels) - 1 - index
        level["m_probability"], level["u_probability"] = float(fit.m[code]), float(fit.u[code])
        weights[code] = math.log2(fit.m[code] / fit.u[code])
    case = " ".join(f"WHEN {code} THEN {weight!r}" for code, weight in weights.items())
    new_weight = f"(match_weight + CASE {gamma} {case} ELSE 0.0 END)"
    columns = [c[0] for c in con.execute(f"SELECT * FROM {table} LIMIT 0").description
               if c[0].startswith(("mw_", "gamma_")) and c[0] != f"mw_{SELLER_COMPARISON}"]
    pairs = con.execute(
        f"SELECT unique_id_l, unique_id_r, {new_weight} AS match_weight,"
        f" 1.0 / (1.0 + pow(2.0, -{new_weight})) AS match_probability, {', '.join(columns)},"
        f" CASE {gamma} {case} ELSE 0.0 END AS mw_{SELLER_COMPARISON} FROM {table}"
        f" WHERE 1.0 / (1.0 + pow(2.0, -{new_weight})) >= ?", [settings.candidate_floor]).df()
    scored.drop_table_from_database_and_remove_from_cache()
    return second, pairs, notes


def _new_db_api():
    """splink's in-memory DuckDB: two threads, no progress bar, with the char_edits function."""
    import splink

    db_api = splink.DuckDBAPI()
    db_api.duckdb_con.execute("SET enable_progress_bar = false; SET threads = 2")
    db_api.duckdb_con.create_function("char_edits", char_edits, ["VARCHAR", "VARCHAR"], "BIGINT",
                                      type="arrow", null_handling="special")
    return db_api


def score_pairs(contracts: pd.DataFrame, firms: pd.DataFrame, settings: LinkageSettings,
                first_pass: dict | None = None) -> ScoredPairs:
    """Train the model and score the blocked pairs.

    Training: u by random sampling (starting values), then m, u and the prior of the name and
    activity comparisons by EM on the pairs of :func:`training_rule` (at most
    ``settings.em_max_pairs`` of them), without term frequencies. The prior is then spread
    over all blocked pairs: the matches EM expects in its population, λ_T·N_T, are taken to
    be the matches among the N_P blocked pairs, so λ_P = λ_T·N_T/N_P. Sector and region, when
    the contracts carry them, are added by :func:`_with_attributes`. The second pass passes the
    first pass's model as ``first_pass``: no new training of it, only the seller-sector
    comparison added by :func:`_with_seller`. Scoring: a second linker
    with the trained model and the term-frequency table of the standardized name (:func:`_tf_table`) scores every blocked
    pair and keeps those with match probability ≥ ``settings.candidate_floor``. ``contracts`` and
    ``firms`` are comparison records (:mod:`.records`) with the same columns.
    """
    import splink

    attributes = [column for column in ("sector", "region")
                  if contracts[column].notna().any() and firms[column].notna().any()]
    with _quiet_splink():
        db_api = _new_db_api()
        left = db_api.register(contracts, table_name="a_contracts")
        right = db_api.register(firms, table_name="b_firms")
        n_blocked = _count_pairs(db_api, blocking_rules())
        if first_pass is None:
            model, notes, trained = _first_pass_model(db_api, left, right, n_blocked, len(firms), attributes,
                                                      settings)
            tf_table = _tf_table_for(model, firms)
            scorer = splink.Linker([left, right], model, log_level=None)
            if tf_table is not None:
                scorer.table_management.register_term_frequency_lookup(
                    db_api.register(tf_table, table_name="tf_lookup_name_std"), "name_std")
            pairs = scorer.inference.predict(threshold_match_probability=settings.candidate_floor,
                                             warning_mode="never").as_pandas_dataframe()
        else:
            model, pairs, notes = _with_seller(db_api, left, right, first_pass, settings,
                                               _tf_table_for(first_pass, firms))
            trained = True
    detail_columns = [c for c in pairs.columns if c.startswith(("mw_", "gamma_"))]
    pairs = pairs.rename(columns={"unique_id_l": "contract_id", "unique_id_r": "record_id"})
    return ScoredPairs(pairs[["contract_id", "record_id", "match_probability", "match_weight", *detail_columns]],
                       parameter_table(model), n_blocked, notes, model, trained)


def _first_pass_model(db_api, left, right, n_blocked: int, n_firms: int, attributes: list[str],
                      settings: LinkageSettings) -> tuple[dict, tuple[str, ...], bool]:
    """The name and activity model: u by random sampling, then EM (:func:`_train`); the prior
    spread over the blocked pairs; sector and region added by :func:`_with_attributes`.
    Returns (model, notes, whether EM trained it)."""
    import splink

    trainer = splink.Linker([left, right], splink.SettingsCreator(
        link_type="link_only",
        comparisons=_name_and_activity_comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=1 / max(n_firms, 2),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        max_iterations=50,
    ), log_level=None)
    trainer.training.estimate_u_using_random_sampling(max_pairs=3e5, seed=settings.seed)
    n_training = _count_pairs(db_api, [training_rule()])
    notes = _train(trainer, n_training, settings)
    trained = not notes
    model = trainer.misc.save_model_to_json()
    if trained:
        model["probability_two_random_records_match"] *= n_training / max(n_blocked, 1)
    if attributes:
        model, attribute_notes = _with_attributes(left, right, model, attributes, settings)
        notes += attribute_notes
    return model, notes, trained
