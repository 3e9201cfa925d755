// Programs from columns: read_program_columns and check_program_columns (io.hpp).

#include "io/tables.hpp"

#include <refmatch/io.hpp>

#include <string>
#include <unordered_set>

namespace refmatch {
namespace {

// Runs `f`, adding what it throws to `errors` (a column error, say, that ends a table's reading).
template <class F>
void collect(std::vector<parse_error>& errors, const std::string& name, F&& f) {
    try {
        f();
    } catch (const parse_error& e) {
        errors.push_back(e);
    } catch (const error& e) {
        errors.emplace_back(name, 0, "", "a readable table", e.what());
    }
}

// The ids of every row of a references table, whatever else is wrong with the rows.
std::unordered_set<std::string> row_ids(const table_columns& table) {
    std::unordered_set<std::string> ids;
    for (const auto& column : table)
        if (column.name == "id")
            for (const auto& v : column.values) ids.emplace(detail::trim(v.value_or("")));
    return ids;
}

}  // namespace

program_tables read_program_columns(const program_columns& columns,
                                    std::shared_ptr<const vocabulary> vocab,
                                    const quota_policy& quotas, std::vector<parse_error>* errors) {
    if (!vocab) throw validation_error("program columns: expected a vocabulary, got none");
    program_tables out;
    out.vocab = vocab;
    out.quotas = quotas;
    const auto step = [&](const std::string& name, auto&& read) {
        const read_options o{name, {}, errors};
        if (!errors) return read(o);
        collect(*errors, name, [&] { read(o); });
    };
    if (columns.references)
        step(columns.references_name, [&](const read_options& o) {
            out.references = parse_references(*columns.references, *vocab, o);
        });
    if (columns.prospects)
        step(columns.prospects_name, [&](const read_options& o) {
            out.prospects = parse_prospects(*columns.prospects, *vocab, o);
        });
    if (columns.usage) {
        std::unordered_set<std::string> ids;
        if (errors && columns.references) {
            ids = row_ids(*columns.references);
        } else {
            for (const auto r : out.references) ids.emplace(r.id());
        }
        const std::function<bool(std::string_view)> known = [&](std::string_view id) {
            return ids.count(std::string(id)) != 0;
        };
        step(columns.usage_name, [&](const read_options& o) {
            out.usage = usage_batch(parse_usage(*columns.usage, *vocab, o, known));
        });
    }
    return out;
}

std::vector<parse_error> check_program_columns(const program_columns& columns,
                                               std::shared_ptr<const vocabulary> vocab,
                                               const quota_policy& quotas) {
    std::vector<parse_error> errors;
    auto tables = read_program_columns(columns, std::move(vocab), quotas, &errors);
    if (!errors.empty()) return errors;
    try {
        (void)std::move(tables).assemble();
    } catch (const validation_error& e) {
        errors.emplace_back("program", 0, e.field(),
                            e.expected().empty() ? "a program whose tables agree" : e.expected(),
                            e.found().empty() ? std::string(e.what()) : e.found());
    }
    return errors;
}

}  // namespace refmatch
