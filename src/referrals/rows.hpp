#pragma once
// The referral tables as rows of text fields, as the files and the database both hold them
// (private to refmatch::referrals): one set of record rules for every store.

#include <refmatch/referrals/program.hpp>

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::referrals::detail {

/// A field that does not read: which, what was expected, what was there.
struct field_problem {
    std::string field;
    std::string expected;
    std::string found;
};

/// The field of a column by name ("" when absent).
using field_reader = std::function<std::string_view(std::string_view column)>;

struct table {
    std::string_view name;  ///< file stem and JSON key: accounts, referrals, rewards, overrides
    std::vector<std::string_view> columns;
    std::vector<std::string_view> required;
};

const table& accounts_table();
const table& referrals_table();
const table& rewards_table();
const table& overrides_table();

// Record → fields in the table's column order, and back (@throws field_problem).
std::vector<std::string> row_of(const account& a);
std::vector<std::string> row_of(const referral& r);
std::vector<std::string> row_of(const reward& w);
std::vector<std::string> row_of(const check_override& o);
account account_of(const field_reader& f);
referral referral_of(const field_reader& f);
reward reward_of(const field_reader& f);
check_override override_of(const field_reader& f);

/// rules.json's text, and back (@throws field_problem naming the key).
std::string format_rules(const reward_rules& r);
reward_rules parse_rules(std::string_view json);

/// Numbers as the files write them: the shortest text that reads back the same double.
std::string number_text(double v);

}  // namespace refmatch::referrals::detail
