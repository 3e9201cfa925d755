#pragma once
/// @file measurement/outcome.hpp
/// Opportunity outcomes: how each sales opportunity ended (won, lost) or stands (open), for how
/// much and when, with the segment it belongs to. The usage ledger names opportunities; this
/// table says what became of them, which is what influence is measured against.

#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
#include <refmatch/size_band.hpp>
#include <refmatch/vocabulary.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace refmatch::measurement {

/// Where an opportunity stands.
enum class deal_status : std::uint8_t { open, won, lost };

inline constexpr std::array<std::string_view, 3> deal_status_names = {"open", "won", "lost"};

[[nodiscard]] inline std::string_view to_string(deal_status s) {
    return deal_status_names[static_cast<std::size_t>(s)];
}
[[nodiscard]] inline std::optional<deal_status> parse_deal_status(std::string_view s) {
    for (std::size_t i = 0; i < deal_status_names.size(); ++i)
        if (deal_status_names[i] == s) return static_cast<deal_status>(i);
    return std::nullopt;
}

/// One opportunity and its outcome. Codes are text, as in a prospect; `check_outcomes` resolves
/// them against a vocabulary.
struct opportunity_outcome {
    std::string opportunity_id;  ///< the id usage events name
    std::string name;
    std::string industry;  ///< NAICS 2022 code at any level; empty if unknown
    std::string country;   ///< country or region; empty if unknown
    size_band size;
    std::string stage;  ///< the CRM's stage name, free text ("Closed Won", "Negotiation")
    deal_status status = deal_status::open;
    double amount = 0.0;  ///< the deal's value (the won amount when won)
    std::optional<date> created;
    std::optional<date> closed;  ///< required when won or lost; none when open
    bool operator==(const opportunity_outcome&) const = default;
};

/// Checks a table of outcomes: ids non-empty and unique, amount a number ≥ 0, a close date when
/// won or lost and none when open, created not after closed, codes known to `v`.
/// @throws validation_error naming the opportunity and the field.
inline void check_outcomes(std::span<const opportunity_outcome> outcomes, const vocabulary& v) {
    std::unordered_set<std::string_view> seen;
    for (const auto& o : outcomes) {
        const std::string subject = "outcome '" + o.opportunity_id + "'";
        if (o.opportunity_id.empty())
            throw validation_error("outcome", "opportunity_id", "a non-empty id", "");
        if (!seen.insert(o.opportunity_id).second)
            throw validation_error(subject, "opportunity_id", "an id not used before",
                                   o.opportunity_id);
        if (!(o.amount >= 0) || std::isinf(o.amount))
            throw validation_error(subject, "amount", "a number >= 0", std::to_string(o.amount));
        if (o.status != deal_status::open && !o.closed)
            throw validation_error(subject, "closed", "a close date for a won or lost deal", "");
        if (o.status == deal_status::open && o.closed)
            throw validation_error(subject, "closed", "no close date for an open deal",
                                   format_date(*o.closed));
        if (o.created && o.closed && *o.created > *o.closed)
            throw validation_error(subject, "created", "a day on or before the close date",
                                   format_date(*o.created));
        v.check(subject, o.industry, o.country, {}, o.size);
    }
}

}  // namespace refmatch::measurement
