#include "db/measurement_tables.hpp"
#include "measurement/records.hpp"

#include <array>
#include <string>
#include <string_view>

namespace refmatch::db {
namespace {

constexpr std::array<std::string_view, 10> outcome_cols = {
    "opportunity_id", "name",   "industry", "country", "size_band",
    "stage",          "status", "amount",   "created", "closed"};
constexpr std::array<std::string_view, 12> content_cols = {
    "id",      "title",     "type",   "reference_id", "industry", "products",
    "country", "size_band", "status", "published",    "expires",  "uses"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& cols) {
    std::string out;
    for (const auto c : cols) out += (out.empty() ? "" : ", ") + std::string(c);
    return out;
}

// Rows of `table` as io records named by the database file, the table and the row.
template <std::size_t N, class Build>
auto read_rows(const connection& c, std::string_view table,
               const std::array<std::string_view, N>& cols, std::string_view key, Build&& build) {
    statement s(
        c,
        "SELECT " + joined(cols) + " FROM " + std::string(table) + " ORDER BY " + std::string(key),
        "read a measurement table");
    const std::string source = c.file() + ", table " + std::string(table);
    detail::flat_record r;
    r.file = &source;
    for (const auto col : cols) r.fields.emplace_back(col, "");
    std::vector<decltype(build(r))> out;
    while (s.step()) {
        ++r.line;
        for (std::size_t i = 0; i < N; ++i) r.fields[i].second.assign(s.text(static_cast<int>(i)));
        out.push_back(build(r));
    }
    return out;
}

// INSERT OR REPLACE of records whose fields follow `specs` (the file's columns).
template <std::size_t N, class Record, class Fields>
void put_rows(const connection& c, std::string_view table,
              const std::array<std::string_view, N>& cols,
              std::span<const detail::column_spec> specs, std::span<const Record> records,
              Fields&& fields_of) {
    std::array<std::size_t, N> positions{};
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < specs.size(); ++j)
            if (specs[j].name == cols[i]) positions[i] = j;
    std::string sql =
        "INSERT OR REPLACE INTO " + std::string(table) + " (" + joined(cols) + ") VALUES (";
    for (std::size_t i = 0; i < N; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
    sql += ")";
    statement s(c, sql, "write a measurement table");
    for (const auto& r : records) {
        const auto fields = fields_of(r);
        for (std::size_t i = 0; i < N; ++i) s.bind(static_cast<int>(i + 1), fields[positions[i]]);
        s.run();
    }
}

}  // namespace

std::vector<measurement::opportunity_outcome> read_outcomes(const connection& c,
                                                            const vocabulary& v) {
    return read_rows(c, "opportunity_outcome", outcome_cols, "opportunity_id",
                     [&](const detail::flat_record& r) { return detail::build_outcome(r, v); });
}

void put_outcomes(const connection& c, std::span<const measurement::opportunity_outcome> outcomes) {
    put_rows(c, "opportunity_outcome", outcome_cols, detail::outcome_columns(), outcomes,
             [](const auto& o) { return detail::outcome_fields(o); });
}

std::vector<content::content_item> read_content(const connection& c, const vocabulary& v) {
    return read_rows(c, "content_item", content_cols, "id",
                     [&](const detail::flat_record& r) { return detail::build_content(r, v); });
}

void put_content(const connection& c, std::span<const content::content_item> items) {
    put_rows(c, "content_item", content_cols, detail::content_columns(), items,
             [](const auto& i) { return detail::content_fields(i); });
}

}  // namespace refmatch::db
