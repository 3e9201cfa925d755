"""The referral program from Python: DataFrames over the C++ ``ReferralProgram``.

The C++ side (``refmatch::referrals``) holds the rules, the checks and the statistics; this
module shapes the columns it returns into DataFrames. See docs/referrals.md.
"""

from __future__ import annotations

import pandas as pd

from refmatch import _refmatch
from refmatch._refmatch import ReferralProgram


def _frame(columns: dict, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for column in dates:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _referrals(self: ReferralProgram) -> pd.DataFrame:
    """One row per referral; dates as datetimes (NaT when not reached)."""
    return _frame(self._referral_columns(), ("referred_on", "qualified_on", "converted_on"))


def _accounts(self: ReferralProgram) -> pd.DataFrame:
    """The program's accounts (customers and open opportunities)."""
    return _frame(self._account_columns(), ("since",))


def _rewards(self: ReferralProgram) -> pd.DataFrame:
    """One row per reward (two per rewarded referral: referrer and referred)."""
    return _frame(self._reward_columns(), ("earned_on",))


def _overrides(self: ReferralProgram) -> pd.DataFrame:
    """The manual decisions on checks, with who and why."""
    return _frame(self._override_columns(), ("on",))


def _check(self: ReferralProgram, *, threshold: float = 0.92, window: int = 90,
           max_per_day: int = 5, max_per_week: int = 15, threads: int = 0,
           levels: bool = False) -> pd.DataFrame:
    """The integrity checks: one row per finding (referral_id, kind, level, reason, evidence),
    or with ``levels=True`` one row per referral with its level. The GIL is released."""
    raw = self._check(threshold, window, max_per_day, max_per_week, threads)
    return pd.DataFrame(raw["levels"] if levels else raw["findings"])


def _funnel(self: ReferralProgram, by: str = "channel") -> pd.DataFrame:
    """Funnel by channel, campaign, variant or referrer, with a last row ``(all)``."""
    return pd.DataFrame(self._funnel(by)).set_index("group")


ReferralProgram.referrals = property(_referrals)
ReferralProgram.accounts = property(_accounts)
ReferralProgram.rewards = property(_rewards)
ReferralProgram.overrides = property(_overrides)
ReferralProgram.check = _check
ReferralProgram.funnel = _funnel


def referral_ab_test(program: ReferralProgram, variant_a: str, variant_b: str,
                     planned_per_variant: int = 0, confidence: float = 0.95) -> dict:
    """A/B test of two reward variants (z-test, Fisher's exact test, interval, early stop)."""
    return program.ab_test(variant_a, variant_b, planned_per_variant, confidence)


def generate_referrals(referrals: int = 10000, customers: int = 2000, *, rings: int = 10,
                       duplicates: int = 200, self_referrals: int = 50, bursts: int = 5,
                       disposable: int = 50, seed: int = 42
                       ) -> tuple[ReferralProgram, dict[str, set[str]]]:
    """A synthetic program and the ids of what was planted, keyed by the check that finds it."""
    program, planted = _refmatch.generate_referrals(referrals, customers, rings, duplicates,
                                                    self_referrals, bursts, disposable, seed)
    return program, {k: set(v) for k, v in planted.items()}
