#pragma once
/// @file prospect.hpp
/// A prospect (an open sales opportunity) that needs a reference.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/size_band.hpp>

#include <optional>
#include <string>
#include <vector>

namespace refmatch {

/// A prospect / opportunity. Like references, codes stay text until a store resolves them.
struct prospect {
    std::string id;
    std::string name;
    std::string industry;               ///< NAICS code at any level (a whole sector is fine)
    std::vector<std::string> products;  ///< products of interest
    std::string country;                ///< country or region code/name; empty if unknown
    size_band size;
    double deal_value = 0.0;              ///< pipeline value, in the program's currency
    std::string stage;                    ///< sales stage, free text ("discovery", "negotiation")
    std::optional<activity_id> activity;  ///< the activity requested, if any
    std::optional<date> needed_by;
    std::vector<std::string>
        exclusions;     ///< reference ids never to propose (competitors, ex-customers)
    std::string owner;  ///< the sales rep

    bool operator==(const prospect&) const = default;
};

}  // namespace refmatch
