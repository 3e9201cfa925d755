// Dated requests as CSV, read and written with the CSV reader and writer of refmatch::io.

#include "io/csv.hpp"

#include <refmatch/assignment/simulation.hpp>
#include <refmatch/vocabulary.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace refmatch {
namespace {

constexpr std::array<detail::column_spec, 7> request_columns = {{{"id", true},
                                                                 {"day", true},
                                                                 {"prospect_id", true},
                                                                 {"activity", true},
                                                                 {"count", false},
                                                                 {"due", true},
                                                                 {"value", false}}};

// Whole amounts as whole numbers ("250000", not "2.5e+05"); others as their shortest form.
std::string value_text(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    return score_weights::format_number(v);
}

}  // namespace

std::vector<dated_request> parse_dated_requests(std::string_view text, std::string_view source,
                                                const vocabulary& vocab) {
    const std::string file(source);
    std::optional<detail::csv_columns> columns;
    std::vector<dated_request> out;
    detail::read_csv(
        text, file,
        [&](detail::csv_row& header) { columns.emplace(file, header, request_columns); },
        [&](detail::csv_row& row) {
            columns->check_width(row);
            const auto field = [&](std::string_view name) {
                return detail::trim(columns->get(row, name));
            };
            const auto fail = [&](std::string_view name, std::string expected) {
                throw parse_error(file, row.line, std::string(name), std::move(expected),
                                  detail::printable(field(name)));
            };
            const auto day = [&](std::string_view name) {
                const auto d = parse_date(field(name));
                if (!d) fail(name, "a date YYYY-MM-DD");
                return *d;
            };
            dated_request r;
            r.id = std::string(field("id"));
            if (r.id.empty()) fail("id", "a request id");
            r.day = day("day");
            r.prospect_id = std::string(field("prospect_id"));
            if (r.prospect_id.empty()) fail("prospect_id", "a prospect id");
            const auto activity = vocab.activities.find(field("activity"));
            if (!activity) fail("activity", "a registered activity type");
            r.activity = *activity;
            if (const auto c = field("count"); !c.empty()) {
                std::uint32_t n = 0;
                const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), n);
                if (ec != std::errc{} || end != c.data() + c.size() || n == 0)
                    fail("count", "a whole number of references >= 1");
                r.count = n;
            }
            r.due = day("due");
            if (r.due < r.day) fail("due", "a day on or after " + format_date(r.day));
            if (const auto v = field("value"); !v.empty()) {
                double x = 0;
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
                if (ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(x) || x < 0)
                    fail("value", "a number >= 0");
                r.value = x;
            }
            out.push_back(std::move(r));
        });
    return out;
}

std::string format_dated_requests(std::span<const dated_request> requests,
                                  const vocabulary& vocab) {
    std::string out;
    std::array<std::string, 7> row;
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = std::string(request_columns[i].name);
    detail::append_csv_row(out, row);
    for (const auto& r : requests) {
        row = {r.id,
               format_date(r.day),
               r.prospect_id,
               vocab.activities.name(r.activity),
               std::to_string(r.count),
               format_date(r.due),
               value_text(r.value)};
        detail::append_csv_row(out, row);
    }
    return out;
}

}  // namespace refmatch
