#include "db/measurement_tables.hpp"
#include "measurement/records.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

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
    for (const auto col : cols) r.fields.emplace_back(col, std::string_view());
    std::vector<decltype(build(r))> out;
    while (s.step()) {
        ++r.line;
        for (std::size_t i = 0; i < N; ++i) r.fields[i].second = s.text(static_cast<int>(i));
        out.push_back(build(r));
    }
    return out;
}

// INSERT OR REPLACE of records whose fields follow `specs` (the file's columns), in the order of
// their keys (`key_of`, the table's first column): a table's B-tree then grows at its right edge
// instead of splitting pages all over it (an outcomes file lists its 1.9M opportunities in no
// order; inserting them in file order took four times as long). The sort is stable, so that of
// two records with one key the later one still wins.
template <std::size_t N, class Record, class Key, class Fields>
void put_rows(const connection& c, std::string_view table,
              const std::array<std::string_view, N>& cols,
              std::span<const detail::column_spec> specs, std::span<const Record> records,
              Key&& key_of, Fields&& fields_of) {
    std::array<std::size_t, N> positions{};
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < specs.size(); ++j)
            if (specs[j].name == cols[i]) positions[i] = j;
    std::string sql =
        "INSERT OR REPLACE INTO " + std::string(table) + " (" + joined(cols) + ") VALUES (";
    for (std::size_t i = 0; i < N; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
    sql += ")";
    std::vector<const Record*> in_key_order;
    in_key_order.reserve(records.size());
    for (const auto& r : records) in_key_order.push_back(&r);
    const auto by_key = [&](const Record* a, const Record* b) { return key_of(*a) < key_of(*b); };
    if (!std::is_sorted(in_key_order.begin(), in_key_order.end(), by_key))
        std::stable_sort(in_key_order.begin(), in_key_order.end(), by_key);
    statement s(c, sql, "write a measurement table");
    for (const Record* r : in_key_order) {
        const auto fields = fields_of(*r);
        for (std::size_t i = 0; i < N; ++i)
            s.bind_in_place(static_cast<int>(i + 1), fields[positions[i]]);
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
    put_rows(
        c, "opportunity_outcome", outcome_cols, detail::outcome_columns(), outcomes,
        [](const auto& o) -> const std::string& { return o.opportunity_id; },
        [](const auto& o) { return detail::outcome_fields(o); });
}

std::vector<content::content_item> read_content(const connection& c, const vocabulary& v) {
    return read_rows(c, "content_item", content_cols, "id",
                     [&](const detail::flat_record& r) { return detail::build_content(r, v); });
}

void put_content(const connection& c, std::span<const content::content_item> items) {
    put_rows(
        c, "content_item", content_cols, detail::content_columns(), items,
        [](const auto& i) -> const std::string& { return i.id; },
        [](const auto& i) { return detail::content_fields(i); });
}

}  // namespace refmatch::db
