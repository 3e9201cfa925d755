// The serialised program state: format_program_state, parse_program_state.
//
// Layout: the line "refmatch program state <version>", then named sections, each a line
// "<name> <byte count>" followed by that many bytes and a line feed, in a fixed order.

#include "io/csv.hpp"

#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {
namespace {

constexpr std::string_view magic = "refmatch program state ";
constexpr std::string_view state_name = "program state";
const std::string tables_name = "pickled program";

void put(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(" ").append(std::to_string(value.size())).append("\n");
    out.append(value).append("\n");
}

// Reads the sections in order, each checked by name.
class section_reader {
public:
    explicit section_reader(std::string_view state) : rest_(state) {}

    std::string_view line() {
        const auto end = rest_.find('\n');
        if (end == std::string_view::npos) fail("a line", rest_.substr(0, 40));
        const auto out = rest_.substr(0, end);
        rest_.remove_prefix(end + 1);
        ++line_;
        return out;
    }
    std::string_view get(std::string_view name) {
        const auto head = line();
        std::size_t size = 0;
        const auto space = head.find(' ');
        const auto number =
            space == std::string_view::npos ? std::string_view{} : head.substr(space + 1);
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), size);
        if (space == std::string_view::npos || head.substr(0, space) != name || ec != std::errc{} ||
            end != number.data() + number.size() || size >= rest_.size() || rest_[size] != '\n')
            fail("section '" + std::string(name) + "'", head.substr(0, 40));
        const auto out = rest_.substr(0, size);
        for (const char c : out) line_ += c == '\n';
        rest_.remove_prefix(size + 1);
        ++line_;
        return out;
    }
    /// Whether the next section is `name` (for sections later versions of the state added).
    [[nodiscard]] bool next_is(std::string_view name) const {
        return rest_.starts_with(std::string(name) + " ");
    }
    [[noreturn]] void fail(const std::string& expected, std::string_view found) const {
        throw parse_error(std::string(state_name), line_ + 1, "", expected, std::string(found));
    }

private:
    std::string_view rest_;
    std::size_t line_ = 0;
};

// A taxonomy: the shipped ones by name, any other as its rows (code, title, parent; parents
// first), root and name.
// The aliases of `t` that `base` (the taxonomy it is rebuilt from) lacks, as CSV alias,code:
// an alias a program accepted ("UK") must resolve in the program rebuilt from its state.
void put_aliases(std::string& out, const std::string& prefix, const taxonomy& t,
                 const taxonomy* base) {
    auto aliases = t.aliases();
    std::sort(aliases.begin(), aliases.end());
    std::string rows;
    for (const auto& [alias, node] : aliases) {
        if (base) {
            const auto known = base->find(alias);
            if (known && base->code(*known) == t.code(node)) continue;
        }
        const std::vector<std::string> row{alias, t.code(node)};
        detail::append_csv_row(rows, row);
    }
    if (!rows.empty()) put(out, prefix + ".aliases", rows);
}

void get_aliases(section_reader& in, const std::string& prefix, taxonomy& t) {
    if (!in.next_is(prefix + ".aliases")) return;
    const auto rows = in.get(prefix + ".aliases");
    detail::read_csv(
        "alias,code\n" + std::string(rows), std::string(state_name) + " " + prefix + ".aliases",
        [](detail::csv_row&) {},
        [&](detail::csv_row& row) {
            if (row.fields.size() != 2) in.fail("alias,code rows", "another row");
            const auto node = t.find(row.fields[1]);
            if (!node) in.fail("an alias of a code of the taxonomy", row.fields[1]);
            (void)t.add_alias(row.fields[0], *node);
        });
}

void put_taxonomy(std::string& out, std::string_view key, const taxonomy& t,
                  const taxonomy& shipped, std::string_view shipped_key) {
    const std::string prefix(key);
    if (t.name() == shipped.name() && t.size() == shipped.size()) {
        put(out, prefix + ".shipped", shipped_key);
        put_aliases(out, prefix, t, &shipped);
        return;
    }
    put(out, prefix + ".shipped", "");
    put(out, prefix + ".name", t.name());
    put(out, prefix + ".root_code", t.code(t.root()));
    put(out, prefix + ".root_title", t.title(t.root()));
    std::vector<taxonomy::node_id> order(t.size());
    for (taxonomy::node_id n = 0; n < t.size(); ++n) order[t.preorder(n)] = n;
    std::string rows;
    const std::vector<std::string> header{"code", "title", "parent"};
    detail::append_csv_row(rows, header);
    for (const auto n : order) {
        if (n == t.root()) continue;
        const auto p = t.parent(n);
        const std::vector<std::string> row{t.code(n), t.title(n),
                                           p == t.root() ? std::string() : t.code(p)};
        detail::append_csv_row(rows, row);
    }
    put(out, prefix + ".rows", rows);
    put_aliases(out, prefix, t, nullptr);
}

taxonomy get_taxonomy(section_reader& in, std::string_view key) {
    const std::string prefix(key);
    const auto shipped = in.get(prefix + ".shipped");
    if (!shipped.empty()) {
        if (shipped != "naics2022" && shipped != "m49")
            in.fail("a shipped taxonomy (naics2022 or m49)", shipped);
        auto t = shipped == "naics2022" ? naics2022() : m49_geography();
        get_aliases(in, prefix, t);
        return t;
    }
    const std::string name(in.get(prefix + ".name"));
    std::string root_code(in.get(prefix + ".root_code"));
    std::string root_title(in.get(prefix + ".root_title"));
    auto t = parse_taxonomy_csv(in.get(prefix + ".rows"), std::string(state_name) + " " + prefix,
                                std::move(root_code), std::move(root_title));
    t.set_name(name);
    get_aliases(in, prefix, t);
    return t;
}

std::string joined(const std::vector<std::string>& items, char separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

}  // namespace

std::string format_program_state(const program_tables& tables) {
    if (!tables.vocab) throw validation_error("program tables: expected a vocabulary, got none");
    const vocabulary& v = *tables.vocab;
    static const taxonomy naics = naics2022();
    static const taxonomy m49 = m49_geography();
    std::string out;
    out.append(magic).append(std::to_string(program_state_version)).append("\n");
    put_taxonomy(out, "industries", v.industries, naics, "naics2022");
    put_taxonomy(out, "geography", v.geography, m49, "m49");
    std::vector<std::string> bounds, custom;
    for (const auto b : v.sizes.lower_bounds()) bounds.push_back(std::to_string(b));
    for (std::size_t i = activity::standard_count; i < v.activities.size(); ++i)
        custom.push_back(v.activities.names()[i]);
    put(out, "size_bands", joined(bounds, ' '));
    put(out, "activities", joined(custom, ' '));
    put(out, "products", format_products(v.products, file_format::json));
    put(out, "quotas", format_quotas(tables.quotas, v.activities, file_format::json));
    put(out, "references", format_references(tables.references.unpack(), v, file_format::json));
    put(out, "prospects", format_prospects(tables.prospects, v, file_format::json));
    put(out, "usage", format_usage(tables.usage.events(), v, file_format::json));
    return out;
}

program_tables parse_program_state(std::string_view state) {
    section_reader in(state);
    const auto head = in.line();
    if (!head.starts_with(magic))
        throw parse_error(std::string(state_name), 1, "", "a refmatch program state",
                          std::string(head.substr(0, 40)));
    const auto version = head.substr(magic.size());
    if (version != std::to_string(program_state_version))
        throw parse_error(std::string(state_name), 1, "version",
                          "version " + std::to_string(program_state_version), std::string(version));
    vocabulary base;
    base.industries = get_taxonomy(in, "industries");
    base.geography = get_taxonomy(in, "geography");
    std::vector<std::uint32_t> bounds;
    const auto sizes = in.get("size_bands");
    for (std::size_t at = 0; at < sizes.size();) {
        std::uint32_t b = 0;
        const auto [end, ec] = std::from_chars(sizes.data() + at, sizes.data() + sizes.size(), b);
        if (ec != std::errc{}) in.fail("size band bounds", sizes);
        at = static_cast<std::size_t>(end - sizes.data()) + 1;
        bounds.push_back(b);
    }
    base.sizes = size_bands(std::move(bounds));
    const auto custom = in.get("activities");
    for (std::size_t at = 0; at < custom.size();) {
        const auto end = std::min(custom.find(' ', at), custom.size());
        base.activities.add(std::string(custom.substr(at, end - at)));
        at = end + 1;
    }
    // The tables, in the order of every program (program_tables.hpp).
    program_sources sources;
    const auto table = [&](std::string_view name) {
        return table_source{tables_name, file_format::json,
                            [text = in.get(name)] { return std::string(text); }};
    };
    sources.products = table("products");
    sources.quotas = table("quotas");
    sources.references = table("references");
    sources.prospects = table("prospects");
    sources.usage = table("usage");
    return read_program_tables(sources, base);
}

}  // namespace refmatch
