"""Every session-state and widget key of the app, namespaced ``"<page>.<name>"``.

Pages and helpers never spell a key themselves: they take it from here, so
two widgets cannot collide and a key can be found with one search.
"""

from __future__ import annotations

# Shared across pages (the entry script's sidebar).
APP_DB_PATH = "app.db_path"
APP_ACTOR = "app.actor"

# Audit page.
AUDIT_CONFIRM_UNDO = "audit.confirm_undo"
AUDIT_UNDO_BUTTON = "audit.undo_button"
AUDIT_UNDO_RESULT = "audit.undo_result"
AUDIT_LOG_TABLE = "audit.log_table"

# Data pages: one namespace per record type, ``data.<table>.<name>``.
DATA_NAMES = (
    "filter_years",      # (from, to) slider
    "filter_year_bounds",  # the stored years the slider last spanned
    "filter_text",       # free-text search
    "filter_column",     # column of the equality filter
    "filter_value",      # value of the equality filter
    "limit",             # most rows shown
    "upload_file",       # file uploader (suffixed with the upload generation)
    "upload_generation", # bumped after a load, to clear the uploader
    "upload_mode",
    "upload_deflate",
    "upload_encoding",
    "upload_check",      # (fingerprint, IngestResult) of the last check
    "upload_check_button",
    "upload_load_button",
    "upload_result",     # IngestResult of the last load, shown once
    "editor",            # the data editor
    "save_button",
    "edit_result",       # EditResult of the last save, shown once
)


def data(table: str, name: str) -> str:
    """The key of ``name`` on the data page of ``table``, e.g. ``"data.contracts.filter_text"``."""
    if name not in DATA_NAMES:
        raise KeyError(f"unknown data-page key {name!r}; add it to DATA_NAMES")
    return f"data.{table}.{name}"


def download(name: str) -> str:
    """The key of a download button, ``"download.<name>"`` (name: what is downloaded, in which format)."""
    return f"download.{name}"


# Linkage page, ``linkage.<name>``.
LINKAGE_THRESHOLDS = "linkage.thresholds"        # (accept, review) applied; both linkage pages use them
LINKAGE_ACCEPT_SLIDER = "linkage.accept_slider"
LINKAGE_REVIEW_SLIDER = "linkage.review_slider"
LINKAGE_APPLY_BUTTON = "linkage.apply_button"
LINKAGE_RESET_BUTTON = "linkage.reset_button"
LINKAGE_RUN_BUTTON = "linkage.run_button"
LINKAGE_WINDOW_BEFORE = "linkage.window_before"
LINKAGE_WINDOW_AFTER = "linkage.window_after"
LINKAGE_MAX_CANDIDATES = "linkage.max_candidates"
LINKAGE_MIN_MARGIN = "linkage.min_margin"
LINKAGE_IMPORT_FILE = "linkage.import_file"      # suffixed with the import generation
LINKAGE_IMPORT_GENERATION = "linkage.import_generation"  # bumped after an import, to clear the uploader
LINKAGE_IMPORT_BUTTON = "linkage.import_button"
LINKAGE_IMPORT_RESULT = "linkage.import_result"  # IngestResult of the last import, shown once

# Review queue page, ``review.<name>``; per-contract widgets are ``review.<name>.<contract_id>``.
REVIEW_MODE = "review.mode"                      # one at a time / table
REVIEW_INCLUDE_NONE = "review.include_none"      # also contracts without a good candidate
REVIEW_SKIPPED = "review.skipped"                # contract ids skipped in this session
REVIEW_DECIDED = "review.decided"                # contract ids decided in this session (dict keys, in order)
REVIEW_LAST = "review.last"                      # what the last decision did, shown once as a toast
REVIEW_REJECTED = "review.rejected"              # why the last decision was not saved, shown once
REVIEW_SKIP_BUTTON = "review.skip_button"
REVIEW_UNSKIP_BUTTON = "review.unskip_button"
REVIEW_TABLE_LIMIT = "review.table_limit"
REVIEW_TABLE_GENERATION = "review.table_generation"  # bumped after a save, to clear the editor
REVIEW_TABLE_EDITOR = "review.table_editor"      # suffixed with the table generation
REVIEW_TABLE_SAVE = "review.table_save"
# Per item, so that a key pressed twice cannot act on the next contract before the reviewer sees it.
REVIEW_ITEM_NAMES = ("form", "choice", "note", "submit", "search", "search_pick", "picked",
                     "quick_not_in", *(f"quick_{rank}" for rank in range(1, 10)))


def review_item(name: str, contract_id: str) -> str:
    """The key of ``name`` for one queue item, e.g. ``"review.choice.C0001"`` (a fresh widget per contract)."""
    if name not in REVIEW_ITEM_NAMES:
        raise KeyError(f"unknown review-item key {name!r}; add it to REVIEW_ITEM_NAMES")
    return f"review.{name}.{contract_id}"

# Direct effects page, ``direct_effects.<name>``.
DIRECT_EFFECTS_RUN = "direct_effects.run"              # SessionRun: the latest estimate of this session
DIRECT_EFFECTS_ERROR = "direct_effects.error"          # EstimationError of the latest Run, shown until the next
DIRECT_EFFECTS_FORM = "direct_effects.form"
DIRECT_EFFECTS_OUTCOME = "direct_effects.outcome"
DIRECT_EFFECTS_K = "direct_effects.k"
DIRECT_EFFECTS_EXACT_KEYS = "direct_effects.exact_keys"
DIRECT_EFFECTS_MATCHING_VARIABLES = "direct_effects.matching_variables"
DIRECT_EFFECTS_REPLACEMENT = "direct_effects.with_replacement"
DIRECT_EFFECTS_WINDOW_LO = "direct_effects.window_lo"
DIRECT_EFFECTS_WINDOW_HI = "direct_effects.window_hi"
DIRECT_EFFECTS_CONTROLS = "direct_effects.controls"
DIRECT_EFFECTS_BOOTSTRAP_REPS = "direct_effects.bootstrap_reps"
DIRECT_EFFECTS_SIGMA = "direct_effects.sigma"
DIRECT_EFFECTS_ETA_TAU = "direct_effects.eta_tau"
DIRECT_EFFECTS_LINKS = "direct_effects.links"
DIRECT_EFFECTS_RUN_BUTTON = "direct_effects.run_button"
DIRECT_EFFECTS_ROBUSTNESS = "direct_effects.robustness"          # (panel estimate id, table, run estimate id)
DIRECT_EFFECTS_ROBUSTNESS_BUTTON = "direct_effects.robustness_button"
DIRECT_EFFECTS_ROBUSTNESS_EDITOR = "direct_effects.robustness_editor"
DIRECT_EFFECTS_POOLED_BUTTON = "direct_effects.pooled_button"

# Simple model page, ``simple_model.<name>``.
SIMPLE_MODEL_ETA = "simple_model.eta"
SIMPLE_MODEL_DELTA = "simple_model.delta"
SIMPLE_MODEL_SIGMA = "simple_model.sigma"
SIMPLE_MODEL_THETA = "simple_model.theta"
SIMPLE_MODEL_SCALE = "simple_model.scale"                  # L/F^T
SIMPLE_MODEL_DEFAULTS = "simple_model.defaults"            # {input key: the default it last followed}
SIMPLE_MODEL_RESET = "simple_model.reset_button"           # η and δ back to their sources
SIMPLE_MODEL_INTO_INTERVAL = "simple_model.into_interval_button"  # δ to the middle of its interval
SIMPLE_MODEL_START = "simple_model.start"                  # start from S^Pre or a chosen share
SIMPLE_MODEL_LAMBDA0 = "simple_model.lambda0"
SIMPLE_MODEL_SUBSIDY_KIND = "simple_model.subsidy_kind"
SIMPLE_MODEL_SUBSIDY_RATE = "simple_model.subsidy_rate"
SIMPLE_MODEL_AT_THRESHOLD = "simple_model.at_threshold_button"
SIMPLE_MODEL_PERIODS = "simple_model.periods"
SIMPLE_MODEL_SECOND_SCALE = "simple_model.second_scale"    # panel D: the second market size, × L/F^T

# Exports page, ``exports.<name>``.
EXPORTS_RESULT = "exports.result"
EXPORTS_LABELS = "exports.labels"                  # the editable column labels of the exported table
EXPORTS_ROW_LABELS = "exports.row_labels"          # the editable row labels (variable names); both suffixed .<result id>
EXPORTS_COMPARE_A = "exports.compare_a"
EXPORTS_COMPARE_B = "exports.compare_b"
EXPORTS_BUNDLE_BUTTON = "exports.bundle_button"

# Spillovers page, ``spillovers.<name>``.
SPILLOVERS_RUN = "spillovers.run"                  # SessionRun: the latest spillover estimate of this session
SPILLOVERS_ERROR = "spillovers.error"              # EstimationError of the latest Run, shown until the next
SPILLOVERS_FORM = "spillovers.form"
SPILLOVERS_OUTCOME = "spillovers.outcome_a"
SPILLOVERS_RADIUS = "spillovers.radius_km"
SPILLOVERS_LAG = "spillovers.lag"
SPILLOVERS_SIGMA = "spillovers.sigma"
SPILLOVERS_DIFFERENCES = "spillovers.differences"
SPILLOVERS_PREFERRED = "spillovers.preferred"
SPILLOVERS_LINKS = "spillovers.links"
SPILLOVERS_COMPLEXES = "spillovers.complexes"      # the uploaded industrial-complex file
SPILLOVERS_RUN_BUTTON = "spillovers.run_button"

# Quantitative model page, ``quant.<name>``.
QUANT_FORM = "quant.form"
QUANT_YEARS = "quant.years"
QUANT_LINKS = "quant.links"
QUANT_SIGMA = "quant.sigma"
QUANT_THETA_RATIO = "quant.theta_ratio"
QUANT_ETA_TYPED = "quant.eta_typed"              # type η in instead of the stored estimate
QUANT_ETA = "quant.eta"
QUANT_DELTA_TYPED = "quant.delta_typed"
QUANT_DELTA = "quant.delta"
QUANT_TAX_RATE = "quant.tax_rate"
QUANT_HIGHWAY = "quant.highway_reduction"
QUANT_GOODS = "quant.trade_elasticity_goods"
QUANT_SERVICES = "quant.trade_elasticity_services"
QUANT_XI_TYPED = "quant.xi_typed"
QUANT_XI = "quant.xi"
QUANT_MAX_EVALUATIONS = "quant.max_evaluations"
QUANT_HOLD_KAPPA = "quant.hold_kappa"            # hold κ instead of searching it
QUANT_KAPPA = "quant.kappa"
QUANT_CHECK_BUTTON = "quant.check_button"
QUANT_CALIBRATE_BUTTON = "quant.calibrate_button"
QUANT_CALIBRATION = "quant.calibration"          # the stored calibration shown (run id)
QUANT_CF_FORM = "quant.counterfactual_form"
QUANT_DISCOUNT = "quant.discount"
QUANT_SCENARIOS = "quant.scenarios"
QUANT_CF_BUTTON = "quant.counterfactual_button"
QUANT_POLICY_FORM = "quant.policy_form"
QUANT_DRAWS = "quant.draws"
QUANT_SEED = "quant.seed"
QUANT_POLICY_BUTTON = "quant.policy_button"
