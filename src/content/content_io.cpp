#include "measurement/records.hpp"
#include "measurement/side_table.hpp"

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
    (void)v.resolve("content '" + c.id + "'", c.industry, c.country, c.products, c.size);
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

}  // namespace refmatch::detail

namespace refmatch::content {

std::vector<content_item> parse_content(std::string_view text, const std::string& file,
                                        const vocabulary& v) {
    std::vector<content_item> out;
    std::unordered_set<std::string> seen;
    detail::read_side_table(text, file, columns, [&](const flat_record& r) {
        auto c = detail::build_content(r, v);
        if (!seen.insert(c.id).second) throw r.fail("id", "an id not used before", c.id);
        out.push_back(std::move(c));
    });
    return out;
}

std::string format_content(std::span<const content_item> items) {
    std::vector<std::vector<std::string>> rows;
    rows.reserve(items.size());
    for (const auto& c : items) rows.push_back(detail::content_fields(c));
    return detail::format_side_table(columns, rows);
}

std::vector<content_item> load_content(const std::filesystem::path& path, const vocabulary& v) {
    return parse_content(read_file(path), path.filename().string(), v);
}

std::vector<content_item> load_program_content(const std::filesystem::path& directory,
                                               const vocabulary& v) {
    const auto path = directory / "content.csv";
    if (!std::filesystem::exists(path)) return {};
    return load_content(path, v);
}

void save_content(const std::filesystem::path& path, std::span<const content_item> items) {
    write_file_atomically(path, format_content(items));
}

}  // namespace refmatch::content
