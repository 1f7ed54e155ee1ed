"""The linkage specification (settings) and the frozen result of a run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DEFAULT_MIN_MARGIN = 3.0  # bits: the top candidate must be at least 2³ = 8 times likelier than the runner-up


@dataclass(frozen=True)
class LinkageSettings:
    """Everything that shapes a linkage run; the defaults are the documented method (docs/linkage.md).

    accept: a contract's top candidate is auto-accepted from this match probability (splink's
        pairwise posterior) on, and only with ``min_margin`` over the runner-up. Default 0.9:
        on the demo economy the lowest value whose auto links keep a precision ≥ 0.99.
    review: top candidates from this probability up to auto-acceptance go to the review queue;
        below it the contract has no candidate ("none").
    min_margin: lead in bits the top candidate needs over the runner-up to be auto-accepted
        (see :func:`estimation.linkage.classify`); protects confusable twins.
    window_before, window_after: a firm is a candidate for a contract of year t only if it
        is in the balance sheets within [first_year − window_before, last_year + window_after]
        (archive coverage of the early years is incomplete, so a firm can sign before it is printed).
    max_candidates: candidates kept per contract (best first).
    candidate_floor: pairs below this match probability are not kept as candidates.
    em_max_pairs: cap on the pairs EM trains on (beyond it, splink's deterministic hash sample).
    seed: seeds every sample, so a run is reproducible.
    seller_evidence: run the second pass, which adds the comparison "the candidate firm's sector
        is the foreign seller's usual sector", learned from the first pass's auto links
        (leave-one-out; docs/linkage.md §5). Needs a ``foreign_firm`` column in the contracts.
    seller_prior_strength: α, the weight in pseudo-links of the overall sector distribution in a
        seller's profile (a seller with n other confident links is n/(n + α) its own).
    seller_high_share, seller_low_share: the comparison's levels: the firm's sector has a share
        ≥ seller_high_share of the seller's profile (its usual sector), ≥ seller_low_share
        (a sector it sometimes licenses), or less (rarely).
    """

    accept: float = 0.9
    review: float = 0.05
    min_margin: float = DEFAULT_MIN_MARGIN
    window_before: int = 3
    window_after: int = 2
    max_candidates: int = 5
    candidate_floor: float = 0.001
    em_max_pairs: float = 2e6
    seed: int = 20260101
    seller_evidence: bool = True
    seller_prior_strength: float = 2.0
    seller_high_share: float = 0.5
    seller_low_share: float = 0.1

    def __post_init__(self):
        if not 0 <= self.review <= self.accept <= 1:
            raise ValueError("thresholds must satisfy 0 ≤ review ≤ accept ≤ 1")
        if not 0 < self.seller_low_share < self.seller_high_share <= 1 or self.seller_prior_strength <= 0:
            raise ValueError("seller shares must satisfy 0 < low < high ≤ 1 and the prior strength be > 0")
        if self.window_before < 0 or self.window_after < 0 or self.max_candidates < 1:
            raise ValueError("windows must be ≥ 0 and max_candidates ≥ 1")


@dataclass(frozen=True, eq=False)
class LinkageResult:
    """Output of :func:`estimation.linkage.link_contracts`.

    candidates: contract_id, firm_id, rank (1 = best), match_probability, match_weight,
        likelihood_weight, twin_of_top, matched_name_variant, drivers, seller_sector_share — up to
        ``max_candidates`` firms per contract (see :func:`~estimation.linkage.pipeline.rank_candidates`).
    issues: contract_id, problem — input problems, one row per problem.
    parameters: the trained model as a tidy frame (comparison, level, gamma, m, u, weight);
        the first row is the prior.
    contract_ids: every contract of the input, in input order (the denominator of all shares).
    blocked_pairs: pairs the blocking rules generated and the model scored.
    settings: the settings of the run.
    notes: anything that went differently from the documented method (e.g. too few pairs
        for EM, so starting parameters were used); empty normally.
    seller_profiles: the sellers' leave-one-out sector profiles the second pass used
        (contract_id, sector, seller_links, share; see :mod:`estimation.linkage.sellers`);
        empty when there was no second pass.
    """

    candidates: pd.DataFrame
    issues: pd.DataFrame
    parameters: pd.DataFrame
    contract_ids: pd.Series
    blocked_pairs: int
    settings: LinkageSettings
    notes: tuple[str, ...] = ()
    seller_profiles: pd.DataFrame | None = None
