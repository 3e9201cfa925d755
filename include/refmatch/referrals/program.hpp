#pragma once
/// @file referrals/program.hpp
/// A referral program as plain tables, the operations that change it (each all-or-nothing) and
/// its two homes: a directory of files (CSV/JSON, docs/data-formats.md conventions) and the
/// tables of the program database (one transaction per write). docs/referrals.md describes it.

#include <refmatch/referrals/checks.hpp>
#include <refmatch/referrals/referral.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::referrals {

/// Everything a referral program holds. A plain value: copy it, change it through the
/// operations below (which check before they change anything), save it.
struct referral_program {
    reward_rules rules;
    std::vector<account> accounts;
    std::vector<referral> referrals;
    std::vector<reward> rewards;
    std::vector<check_override> overrides;  ///< in the order they were made
    bool operator==(const referral_program&) const = default;

    [[nodiscard]] const referral* find_referral(std::string_view id) const;
    [[nodiscard]] const account* find_account(std::string_view id) const;
};

/// What one operation changed: the rows a store must write.
struct program_change {
    std::vector<referral> referrals;        ///< added or updated
    std::vector<reward> rewards;            ///< added or updated
    std::vector<check_override> overrides;  ///< appended
};

/// Adds a referral. It must have a new id, a referrer that is a customer account, a name or a
/// domain for the referred organisation, and dates in order.
/// @throws validation_error naming the referral and field; nothing changes then.
program_change add_referral(referral_program& p, referral r);

/// Moves a referral to `qualified` or `converted` on `day` (converted also records the
/// opportunity and its value), or to `lost`; when it reaches the rules' qualifying event the
/// double-sided rewards are earned (see `rewards_for`) with states from `checks` (the report of
/// `check_referrals` over the program's referrals; empty: pending). @throws not_found_error for
/// an unknown referral, validation_error for a move backwards or from a closed referral.
program_change advance_referral(referral_program& p, std::string_view id, referral_status to,
                                date day, std::string_view opportunity_id = {},
                                double deal_value = 0, const check_report* checks = nullptr);

/// Applies a check report: referrals whose level is reject become `rejected` and their rewards
/// `void`; rewards of referrals under review are `held`; held rewards of referrals that now
/// pass go back to `pending`. Issued rewards are never changed.
program_change apply_checks(referral_program& p, const check_report& checks);

/// Records a person's decision on a referral's checks (who, why, when) and applies the level:
/// pass releases held rewards to pending, reject voids them. @throws not_found_error,
/// validation_error when `by` or `reason` is empty.
program_change override_checks(referral_program& p, check_override o);

/// Moves a reward pending → approved → issued. A held or void reward cannot move (decide its
/// referral's review first). @throws not_found_error, validation_error naming both states.
program_change move_reward(referral_program& p, std::string_view reward_id, reward_state to);

/// The rewards a referral earns under the rules on its qualifying day, before checks: none when
/// the deal is under the minimum, the event came after the attribution window, or the referrer
/// already had `cap_per_period` rewarded referrals in the period; else the referrer's and the
/// referred organisation's. Pure. `why_not` receives the reason when there are none.
[[nodiscard]] std::vector<reward> rewards_for(const referral_program& p, const referral& r,
                                              date qualifying_day, std::string* why_not = nullptr);

// --- Files ---------------------------------------------------------------------------------------

/// Reads a program directory: `rules.json` (optional: default rules), `accounts`, `referrals`,
/// `rewards` and `overrides`, each `.csv` or `.json` (`accounts` required, the others may be
/// absent). @throws parse_error naming file, line, field, expected and found.
[[nodiscard]] referral_program load_referral_program(const std::filesystem::path& directory);
/// Writes every table (each file atomically: temporary file + rename), CSV or JSON.
void save_referral_program(const referral_program& p, const std::filesystem::path& directory,
                           bool json = false);

// --- The program database ------------------------------------------------------------------------

/// The referral tables of a program database (`referral_account`, `referral`, `reward`,
/// `referral_override`, `referral_rules`; the schema migration is refmatch::db's). Opening
/// migrates the file as `refmatch::database` does.
///
/// Every write reads the program in the same `BEGIN IMMEDIATE` transaction, applies the
/// operation above (the one place its rules live) and writes the rows it changed, so two
/// processes writing at once are serialised and a rejected call writes nothing.
///
/// **Thread safety:** one object per thread (a connection each); SQLite serialises writers.
/// **Complexity:** each write reads the whole program (linear) and writes O(changed rows).
class referral_database {
public:
    /// Opens the database file (`create`: make it when missing).
    /// @throws database_error as `refmatch::database`.
    explicit referral_database(const std::filesystem::path& file, bool create = false);
    ~referral_database();
    referral_database(referral_database&&) noexcept;
    referral_database& operator=(referral_database&&) noexcept;

    /// The whole program, read in one snapshot.
    [[nodiscard]] referral_program load() const;

    void set_rules(const reward_rules& rules);
    /// Adds or replaces accounts (one transaction).
    void put_accounts(std::span<const account> accounts);
    void add_referral(referral r);
    void advance_referral(std::string_view id, referral_status to, date day,
                          std::string_view opportunity_id = {}, double deal_value = 0,
                          const check_options& options = {});
    /// Runs the checks over the stored program and applies them (`apply_checks`); returns the
    /// report.
    check_report run_checks(const check_options& options = {});
    void override_checks(check_override o);
    void move_reward(std::string_view reward_id, reward_state to);
    /// Replaces an empty program's tables by `p` (one transaction). @throws database_error when
    /// the database already holds referrals.
    void import_program(const referral_program& p);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace refmatch::referrals
