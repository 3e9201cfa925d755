#include "io/tables.hpp"
#include "measurement/records.hpp"

#include <refmatch/content/content_io.hpp>
#include <refmatch/io.hpp>

#include <array>
#include <unordered_set>

namespace refmatch::content {
namespace {

using detail::column_spec;
using detail::flat_record;
using detail::trim;

constexpr std::array<column_spec, 12> columns = {{{"id", true},
                                                  {"title", false},
                                                  {"type", true},
                                                  {"reference_id", false},
                                                  {"industry", false},
                                                  {"products", false},
                                                  {"country", false},
                                                  {"size_band", false},
                                                  {"status", true},
                                                  {"published", false},
                                                  {"expires", false},
                                                  {"uses", false}}};

std::string names_of(std::span<const std::string_view> names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
    return out;
}

}  // namespace
}  // namespace refmatch::content

namespace refmatch::detail {

std::span<const column_spec> content_columns() {
    return content::columns;
}

content::content_item build_content(const flat_record& r, const vocabulary& v) {
    using namespace content;
    content_item c;
    c.id = std::string(trim(r.get("id")));
    if (c.id.empty()) throw r.fail("id", "a non-empty content id", "");
    c.title = std::string(r.get("title"));
    const auto type = trim(r.get("type"));
    const auto t = parse_content_type(type);
    if (!t) throw r.fail("type", names_of(content_type_names), type);
    c.type = *t;
    c.reference_id = std::string(trim(r.get("reference_id")));
    c.industry = std::string(trim(r.get("industry")));
    c.products = detail::list_of(r.get("products"));
    c.country = std::string(trim(r.get("country")));
    c.size = detail::size_field(r, v.sizes);
    const auto status = trim(r.get("status"));
    const auto s = parse_content_status(status);
    if (!s) throw r.fail("status", names_of(content_status_names), status);
    c.status = *s;
    c.published = detail::date_field(r, "published");
    c.expires = detail::date_field(r, "expires");
    if (c.published && c.expires && *c.expires <= *c.published)
        throw r.fail("expires", "a day after the publication day " + format_date(*c.published),
                     format_date(*c.expires));
    if (const auto uses = trim(r.get("uses")); !uses.empty()) {
        const auto n = detail::count_text(uses);
        if (!n) throw r.fail("uses", "a whole number >= 0", uses);
        c.uses = *n;
    }
    v.check("content '" + c.id + "'", c.industry, c.country, c.products, c.size);
    return c;
}

std::vector<std::string> content_fields(const content::content_item& c) {
    using namespace content;
    return {c.id,
            c.title,
            std::string(to_string(c.type)),
            c.reference_id,
            c.industry,
            detail::list_text(c.products),
            c.country,
            c.size ? std::to_string(*c.size) : std::string(),
            std::string(to_string(c.status)),
            c.published ? format_date(*c.published) : std::string(),
            c.expires ? format_date(*c.expires) : std::string(),
            std::to_string(c.uses)};
}

std::vector<content::content_item> read_content(
    std::string_view text, file_format format, const vocabulary& v, const read_options& options,
    const std::function<bool(std::string_view)>& known_reference) {
    std::vector<content::content_item> out;
    std::unordered_set<std::string> seen;
    read_table(table_kind::content, text, format, options, [&](flat_record& r) {
        content::content_item c;
        try {
            c = build_content(r, v);
        } catch (const validation_error& e) {
            throw r.fail(e);
        }
        if (!seen.insert(c.id).second) throw r.fail("id", "an id not used before", c.id);
        if (known_reference && !c.reference_id.empty() && !known_reference(c.reference_id))
            throw r.fail("reference_id", "a reference id of the program", c.reference_id);
        out.push_back(std::move(c));
    });
    return out;
}

}  // namespace refmatch::detail

namespace refmatch::content {

std::vector<content_item> parse_content(std::string_view text, const std::string& file,
                                        const vocabulary& v, file_format format) {
    read_options o;
    o.source = file;
    return detail::read_content(text, format, v, o);
}

std::string format_content(std::span<const content_item> items, file_format format) {
    return detail::write_table(detail::table_kind::content, format, [&](const auto& emit) {
        for (const auto& c : items) emit(detail::content_fields(c));
    });
}

std::vector<content_item> load_content(const std::filesystem::path& path, const vocabulary& v) {
    return parse_content(read_file(path), path.filename().string(), v, format_of(path));
}

std::vector<content_item> load_program_content(const std::filesystem::path& directory,
                                               const vocabulary& v) {
    const auto path = detail::table_file(directory, detail::table_kind::content);
    if (!path) return {};
    return load_content(*path, v);
}

void save_content(const std::filesystem::path& path, std::span<const content_item> items) {
    write_file_atomically(path, format_content(items, format_of(path)));
}

}  // namespace refmatch::content
