// Results back to the CRM as CSV: one row per (opportunity, reference), or per prospect for gaps.

#include "io/csv.hpp"
#include "io/records.hpp"

#include <refmatch/crm/export.hpp>

namespace refmatch::crm {
namespace {

// The columns a mapping names for an export table, in refmatch's order.
std::vector<std::pair<std::string, std::string>> columns_for(
    const mapping& m, const std::string& table, std::initializer_list<const char*> order) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto it = m.exports.find(table);
    if (it != m.exports.end())
        for (const char* field : order)
            if (const auto c = it->second.find(field); c != it->second.end())
                out.emplace_back(field, c->second);
    if (out.empty())
        throw validation_error("mapping '" + m.name + "'", "export." + table,
                               "the CRM column names of the " + table + " export", "none");
    return out;
}

std::string score_text(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", v);
    return buffer;
}

}  // namespace

std::string format_match_export(const mapping& m, std::span<const prospect> prospects,
                                std::span<const std::vector<match_result>> results, date day) {
    if (prospects.size() != results.size())
        throw validation_error("match export", "results",
                               std::to_string(prospects.size()) + " result lists, one per prospect",
                               std::to_string(results.size()));
    const auto columns = columns_for(
        m, "matches", {"opportunity_id", "reference_id", "rank", "score", "reason", "date"});
    std::string out;
    std::vector<std::string> row;
    for (const auto& c : columns) row.push_back(c.second);
    refmatch::detail::append_csv_row(out, row);
    const auto today = format_date(day);
    for (std::size_t i = 0; i < prospects.size(); ++i) {
        std::size_t rank = 0;
        for (const auto& r : results[i]) {
            ++rank;
            row.clear();
            for (const auto& [field, column] : columns) {
                if (field == "opportunity_id") row.push_back(prospects[i].id);
                if (field == "reference_id") row.push_back(r.reference_id);
                if (field == "rank") row.push_back(std::to_string(rank));
                if (field == "score") row.push_back(score_text(r.final_score));
                if (field == "reason") row.push_back(r.reason);
                if (field == "date") row.push_back(today);
            }
            refmatch::detail::append_csv_row(out, row);
        }
    }
    return out;
}

std::string format_gap_export(const mapping& m, const gap_report& gaps, date day) {
    const auto columns =
        columns_for(m, "gaps", {"opportunity_id", "best_score", "qualifying", "covered", "date"});
    std::string out;
    std::vector<std::string> row;
    for (const auto& c : columns) row.push_back(c.second);
    refmatch::detail::append_csv_row(out, row);
    const auto today = format_date(day);
    for (const auto& p : gaps.prospects) {
        row.clear();
        for (const auto& [field, column] : columns) {
            if (field == "opportunity_id") row.push_back(p.prospect_id);
            if (field == "best_score") row.push_back(p.best_score ? score_text(*p.best_score) : "");
            if (field == "qualifying") row.push_back(std::to_string(p.qualifying));
            if (field == "covered") row.push_back(p.covered ? "true" : "false");
            if (field == "date") row.push_back(today);
        }
        refmatch::detail::append_csv_row(out, row);
    }
    return out;
}

}  // namespace refmatch::crm
