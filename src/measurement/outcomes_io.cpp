#include "io/tables.hpp"
#include "measurement/records.hpp"

#include <refmatch/io.hpp>
#include <refmatch/measurement/outcomes_io.hpp>

#include <array>
#include <unordered_set>

namespace refmatch::measurement {
namespace {

using detail::column_spec;
using detail::flat_record;
using detail::trim;

constexpr std::array<column_spec, 11> columns = {{{"opportunity_id", true},
                                                  {"name", false},
                                                  {"industry", false},
                                                  {"country", false},
                                                  {"size_band", false},
                                                  {"employees", false},
                                                  {"stage", false},
                                                  {"status", true},
                                                  {"amount", false},
                                                  {"created", false},
                                                  {"closed", false}}};

}  // namespace
}  // namespace refmatch::measurement

namespace refmatch::detail {

std::span<const column_spec> outcome_columns() {
    return measurement::columns;
}

measurement::opportunity_outcome build_outcome(const flat_record& r, const vocabulary& v) {
    using namespace measurement;
    opportunity_outcome o;
    o.opportunity_id = std::string(trim(r.get("opportunity_id")));
    if (o.opportunity_id.empty()) throw r.fail("opportunity_id", "a non-empty id", "");
    o.name = std::string(r.get("name"));
    o.industry = std::string(trim(r.get("industry")));
    o.country = std::string(trim(r.get("country")));
    o.size = detail::size_field(r, v.sizes);
    o.stage = std::string(trim(r.get("stage")));
    const auto status = trim(r.get("status"));
    const auto s = parse_deal_status(status);
    if (!s) throw r.fail("status", "open, won or lost", status);
    o.status = *s;
    if (const auto amount = trim(r.get("amount")); !amount.empty()) {
        const auto a = detail::number_text(amount);
        if (!a || *a < 0) throw r.fail("amount", "a number >= 0", amount);
        o.amount = *a;
    }
    o.created = detail::date_field(r, "created");
    o.closed = detail::date_field(r, "closed");
    check_outcomes(std::span(&o, 1), v);
    return o;
}

std::vector<std::string> outcome_fields(const measurement::opportunity_outcome& o) {
    using namespace measurement;
    return {o.opportunity_id,
            o.name,
            o.industry,
            o.country,
            o.size ? std::to_string(*o.size) : std::string(),
            std::string(),
            o.stage,
            std::string(to_string(o.status)),
            detail::format_number(o.amount),
            o.created ? format_date(*o.created) : std::string(),
            o.closed ? format_date(*o.closed) : std::string()};
}

std::vector<measurement::opportunity_outcome> read_outcomes(std::string_view text,
                                                            file_format format, const vocabulary& v,
                                                            const read_options& options) {
    std::vector<measurement::opportunity_outcome> out;
    std::unordered_set<std::string> seen;
    read_table(table_kind::outcomes, text, format, options, [&](flat_record& r) {
        measurement::opportunity_outcome o;
        try {
            o = build_outcome(r, v);
        } catch (const validation_error& e) {
            throw r.fail(e);
        }
        if (!seen.insert(o.opportunity_id).second)
            throw r.fail("opportunity_id", "an id not used before", o.opportunity_id);
        out.push_back(std::move(o));
    });
    return out;
}

}  // namespace refmatch::detail

namespace refmatch::measurement {

std::vector<opportunity_outcome> parse_outcomes(std::string_view text, const std::string& file,
                                                const vocabulary& v, file_format format) {
    read_options o;
    o.source = file;
    return detail::read_outcomes(text, format, v, o);
}

std::string format_outcomes(std::span<const opportunity_outcome> outcomes, const vocabulary&,
                            file_format format) {
    return detail::write_table(detail::table_kind::outcomes, format, [&](const auto& emit) {
        for (const auto& o : outcomes) emit(detail::outcome_fields(o));
    });
}

std::vector<opportunity_outcome> load_outcomes(const std::filesystem::path& path,
                                               const vocabulary& v) {
    return parse_outcomes(read_file(path), path.filename().string(), v, format_of(path));
}

std::vector<opportunity_outcome> load_program_outcomes(const std::filesystem::path& directory,
                                                       const vocabulary& v) {
    const auto path = detail::table_file(directory, detail::table_kind::outcomes);
    if (!path) return {};
    return load_outcomes(*path, v);
}

void save_outcomes(const std::filesystem::path& path, std::span<const opportunity_outcome> outcomes,
                   const vocabulary& v) {
    write_file_atomically(path, format_outcomes(outcomes, v, format_of(path)));
}

}  // namespace refmatch::measurement
