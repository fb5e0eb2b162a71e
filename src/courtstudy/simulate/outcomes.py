"""Outcomes of a civil first-instance case as deterministic functions of fixed draws and effects.

Common random numbers: :class:`CivilDraws` holds every random number a case's outcome uses,
drawn once and independent of the effect parameters; :func:`civil_outcomes` maps those draws
plus the effect shifts of one (factual or potential) world to the outcomes. Evaluating it with
different shifts gives the potential outcomes of the same case, and a counterfactual simulation
with an effect switched off reproduces the matching potential outcome exactly.

Mechanics, in order (all days are integers):

1. natural trial days ``T = exp(log_trial_base + shift_log_duration)``; calendar days
   ``D = max(1, round(T)) + suspended_days`` (suspension, e.g. an appraisal, adds time);
2. statutory limit ``L = limit(filed, procedure) - filed + suspended_days``
   (:mod:`courtstudy.core.limits`); a case that would overrun is extended with probability 0.85
   when its procedure allows an extension, by whole 30-day steps up to the maximum
   (``extension_days``); a case still overrunning by at most 60 days is rushed to close in the
   last 10 days before its deadline with probability 0.7 (审限前突击结案); the rest overrun;
3. the closing calendar (:func:`courtstudy.simulate.calendar.closing_calendar`);
4. disposition: mediation or withdrawal with probability
   ``expit(logit(cause base) - 0.35 * complexity + shift)``, else judgment 86%, dismissal 5%,
   transfer 3%, other 6%;
5. appeal (judgments and dismissal rulings, not final small-claims judgments) with probability
   ``expit(-1.6 + 0.5 * complexity + h * hidden + shift)`` (dismissals -2.2), filed within the
   window (15 days for judgments, 10 for rulings) after service (1-21 days);
6. appeal result: modified or remanded with probability
   ``expit(-1.8 + 0.4 * complexity + h * hidden + shift)`` (modified 60% of those), else
   withdrawn 14%, mediated 6%, affirmed 80%; decided 25-175 days after the appeal;
7. retrial petition after a judgment: 0.8% (+5% when an appeal failed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from courtstudy.core import categories
from courtstudy.simulate.calendar import closing_calendar

#: Dispositions in the order of the codes the simulator draws (index 0 judgment, 3 dismissal).
DISPOSITIONS: tuple[str, ...] = categories.DISPOSITIONS
#: Appeal results the simulator draws, in code order (it draws no "other").
APPEAL_RESULTS: tuple[str, ...] = categories.APPEAL_RESULTS[:5]
assert DISPOSITIONS.index("judgment") == 0 and DISPOSITIONS.index("dismissal") == 3
_MEDIATION_WITHDRAWAL_CODES = sorted(DISPOSITIONS.index(c) for c in categories.MEDIATION_WITHDRAWAL)
_REVERSAL_REMAND_CODES = sorted(APPEAL_RESULTS.index(c) for c in categories.REVERSAL_REMAND)


@dataclass
class CivilDraws:
    """Fixed inputs of the outcomes of civil first-instance cases (one entry per case)."""

    filed: np.ndarray              # day numbers
    log_trial_base: np.ndarray     # log trial days without effects (incl. hidden confounding)
    suspended_days: np.ndarray
    limit_days: np.ndarray         # base limit: filed + statutory months/days - filed
    max_extension_days: np.ndarray
    complexity: np.ndarray
    hidden_shift: np.ndarray       # hidden_confounding * complexity_hidden
    mw_base_logit: np.ndarray
    mediation_share: np.ndarray
    u_extend: np.ndarray
    u_rush: np.ndarray
    u_rush_day: np.ndarray
    u_pull: np.ndarray
    u_pull_day: np.ndarray
    u_disposition: np.ndarray
    u_mediation: np.ndarray
    u_appeal: np.ndarray
    u_result: np.ndarray
    u_reversal_kind: np.ndarray
    u_service: np.ndarray
    u_window: np.ndarray
    u_appeal_duration: np.ndarray
    u_retrial: np.ndarray
    u_retrial_delay: np.ndarray


@dataclass
class Shifts:
    """Effect shifts of one world (arrays aligned with the draws)."""

    log_duration: np.ndarray
    mediation_withdrawal: np.ndarray
    appeal: np.ndarray
    reversal: np.ndarray
    final: np.ndarray  # bool: judgment cannot be appealed (small claims)


@dataclass
class CivilOutcomes:
    """Uncensored outcomes of one world."""

    closed: np.ndarray            # day number of closing
    duration_days: np.ndarray
    extension_days: np.ndarray
    within_limit: np.ndarray      # bool
    disposition: np.ndarray       # index into DISPOSITIONS
    appealed: np.ndarray          # bool
    appeal_filed: np.ndarray      # day number (meaningless where not appealed)
    appeal_result: np.ndarray     # index into APPEAL_RESULTS (-1 = no appeal)
    appeal_closed: np.ndarray
    retrial: np.ndarray           # bool
    retrial_known: np.ndarray     # day number the petition is on record

    @property
    def mediation_withdrawal(self) -> np.ndarray:
        return np.isin(self.disposition, _MEDIATION_WITHDRAWAL_CODES)

    @property
    def reversal_remand(self) -> np.ndarray:
        return np.isin(self.appeal_result, _REVERSAL_REMAND_CODES)


def civil_outcomes(d: CivilDraws, s: Shifts) -> CivilOutcomes:
    """Outcomes of every case under the shifts ``s`` (see the module docstring)."""
    trial = np.exp(d.log_trial_base + s.log_duration)
    natural = np.maximum(1, np.rint(trial)).astype(np.int64) + d.suspended_days
    limit = d.limit_days + d.suspended_days
    overrun = natural - limit
    needed = np.ceil(np.maximum(overrun, 0) / 30.0).astype(np.int64) * 30
    extend = (overrun > 0) & (d.max_extension_days > 0) & (d.u_extend < 0.85)
    extension = np.where(extend, np.minimum(needed, d.max_extension_days), 0)
    still_over = natural - (limit + extension)
    rush = (still_over > 0) & (still_over <= 60) & (d.u_rush < 0.7)
    rushed = limit + extension - np.floor(d.u_rush_day * 10).astype(np.int64)
    days = np.maximum(1, np.where(rush, rushed, natural))
    closed = closing_calendar(d.filed, d.filed + days, d.u_pull, d.u_pull_day)
    duration = closed - d.filed
    within = closed <= d.filed + limit + extension

    p_mw = expit(d.mw_base_logit - 0.35 * d.complexity + s.mediation_withdrawal)
    mw = d.u_disposition < p_mw
    rest = (d.u_disposition - p_mw) / np.maximum(1.0 - p_mw, 1e-12)
    other_code = np.select([rest < 0.86, rest < 0.91, rest < 0.94], [0, 3, 4], default=5)
    disposition = np.where(mw, np.where(d.u_mediation < d.mediation_share, 1, 2), other_code)

    judgment = disposition == 0
    dismissal = disposition == 3
    appealable = (judgment | dismissal) & ~s.final
    base = np.where(dismissal, -2.2, -1.6)
    p_appeal = expit(base + 0.5 * d.complexity + d.hidden_shift + s.appeal)
    appealed = appealable & (d.u_appeal < p_appeal)
    p_rev = expit(-1.8 + 0.4 * d.complexity + d.hidden_shift + s.reversal)
    reversal = appealed & (d.u_result < p_rev)
    rest2 = (d.u_result - p_rev) / np.maximum(1.0 - p_rev, 1e-12)
    non_rev = np.select([rest2 < 0.14, rest2 < 0.20], [3, 4], default=0)
    result = np.where(reversal, np.where(d.u_reversal_kind < 0.6, 1, 2), non_rev)
    result = np.where(appealed, result, -1)

    service = 1 + np.floor(20 * d.u_service ** 2).astype(np.int64)
    window = np.where(dismissal, 10, 15)
    appeal_filed = closed + service + 1 + np.floor(d.u_window * window).astype(np.int64)
    appeal_closed = appeal_filed + 25 + np.floor(150 * d.u_appeal_duration ** 1.3).astype(np.int64)

    failed_appeal = appealed & ((result == 0) | (result == 1))
    retrial = judgment & (d.u_retrial < 0.008 + 0.05 * failed_appeal)
    retrial_known = np.where(appealed, appeal_closed, closed) + 30 + np.floor(
        150 * d.u_retrial_delay).astype(np.int64)
    return CivilOutcomes(closed, duration, extension, within, disposition, appealed, appeal_filed,
                         result, appeal_closed, retrial, retrial_known)


def base_logit(p: np.ndarray) -> np.ndarray:
    """logit of base probabilities (for the mediation/withdrawal shares of causes)."""
    return logit(np.clip(p, 1e-6, 1 - 1e-6))
