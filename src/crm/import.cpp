// CRM exports -> refmatch tables -> a program (through the one assembly of every loader).

#include "crm/values.hpp"
#include "io/csv.hpp"

#include <refmatch/crm/crosswalk.hpp>
#include <refmatch/crm/import.hpp>
#include <refmatch/detail/text.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/program_tables.hpp>
#include <refmatch/shipped_data.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace refmatch::crm {
namespace {

using refmatch::detail::fold_key;
using refmatch::detail::trim;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

// --- Exports as rows ---------------------------------------------------------------------------

// Calls `on_header` with the column names, then `on_row` with each row's line and cells.
void for_each_row(const crm_export& e,
                  const std::function<void(std::vector<std::string>&)>& on_header,
                  const std::function<void(std::size_t, std::vector<std::string>&)>& on_row) {
    if (const auto* text = std::get_if<std::string>(&e.data)) {
        // The reader hands out views into the text; the mapping edits cells in place, so each
        // row is copied into one reused buffer.
        std::vector<std::string> cells;
        const auto copy =
            [&cells](const refmatch::detail::csv_row& r) -> std::vector<std::string>& {
            cells.resize(r.fields.size());
            for (std::size_t i = 0; i < r.fields.size(); ++i) cells[i].assign(r.fields[i]);
            return cells;
        };
        refmatch::detail::read_csv(
            *text, e.source, [&](refmatch::detail::csv_row& h) { on_header(copy(h)); },
            [&](refmatch::detail::csv_row& r) { on_row(r.line, copy(r)); });
        return;
    }
    const auto& columns = std::get<table_columns>(e.data);
    std::vector<std::string> header;
    std::size_t rows = columns.empty() ? 0 : columns.front().values.size();
    for (const auto& c : columns) {
        header.push_back(c.name);
        if (c.values.size() != rows)
            throw parse_error(e.source, 0, c.name,
                              "columns of the same length (" + std::to_string(rows) + " rows)",
                              std::to_string(c.values.size()) + " rows");
    }
    on_header(header);
    std::vector<std::string> cells(columns.size());
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t c = 0; c < columns.size(); ++c)
            cells[c] = columns[c].values[i].value_or(std::string());
        on_row(i + 2, cells);
    }
}

// A table mapping bound to an export's header: which column each field reads.
class bound_table {
public:
    bound_table(const table_mapping& t, const std::vector<std::string>& header) : mapping_(&t) {
        std::unordered_map<std::string, std::size_t> by_name;
        for (std::size_t i = 0; i < header.size(); ++i)
            by_name.emplace(refmatch::detail::ascii_lower(trim(header[i])), i);
        for (const auto& [field, rule] : t.fields) {
            binding b{&rule, npos, ""};
            for (const auto& c : rule.columns) {
                const auto it = by_name.find(refmatch::detail::ascii_lower(trim(c)));
                if (it != by_name.end()) {
                    b.column = it->second;
                    b.name = header[it->second];
                    break;
                }
            }
            fields_.emplace(field, b);
        }
    }

    /// Whether the export has a column for the field.
    [[nodiscard]] bool has(std::string_view field) const {
        const auto it = fields_.find(std::string(field));
        return it != fields_.end() && it->second.column != npos;
    }
    [[nodiscard]] bool mapped(std::string_view field) const {
        return fields_.count(std::string(field)) != 0;
    }
    /// The export's column name of a field ("" when none).
    [[nodiscard]] std::string column(std::string_view field) const {
        const auto it = fields_.find(std::string(field));
        return it == fields_.end() ? std::string() : it->second.name;
    }
    /// The alternatives a mapping gives for a field, for messages.
    [[nodiscard]] std::string alternatives(std::string_view field) const {
        const auto* rule = mapping_->find(field);
        std::string out;
        if (rule)
            for (const auto& c : rule->columns) out += (out.empty() ? "" : ", ") + c;
        return out;
    }

    /// The text of a field in a row: the trimmed cell, or the default when the column is absent
    /// or the cell blank; value replacement applied (to the whole text).
    [[nodiscard]] std::string get(const std::vector<std::string>& row,
                                  std::string_view field) const {
        const auto it = fields_.find(std::string(field));
        if (it == fields_.end()) return {};
        return replace(*it->second.rule, cell_of(it->second, row));
    }
    /// Whether the mapping's `values` replaced the field's text in this row (the replacement is
    /// then in refmatch's terms, not the export's).
    [[nodiscard]] bool replaced(const std::vector<std::string>& row, std::string_view field) const {
        const auto it = fields_.find(std::string(field));
        if (it == fields_.end() || it->second.rule->values.empty()) return false;
        return it->second.rule->values.count(fold_key(cell_of(it->second, row))) != 0;
    }

    /// The items of a list field, each trimmed and replaced.
    [[nodiscard]] std::vector<std::string> list(const std::vector<std::string>& row,
                                                std::string_view field) const {
        const auto it = fields_.find(std::string(field));
        if (it == fields_.end()) return {};
        const auto& b = it->second;
        std::string_view cell;
        if (b.column != npos && b.column < row.size()) cell = trim(row[b.column]);
        if (cell.empty() && b.rule->default_value) cell = *b.rule->default_value;
        auto items = detail::split_list(cell, b.rule->separator.empty() ? ";" : b.rule->separator);
        for (auto& item : items) item = replace(*b.rule, item);
        items.erase(std::remove(items.begin(), items.end(), std::string()), items.end());
        return items;
    }

    /// Whether a row is one the mapping skips.
    [[nodiscard]] bool skipped(const std::vector<std::string>& row) const {
        for (const auto& [field, values] : mapping_->skip) {
            const auto key = fold_key(get(row, field));
            if (std::find(values.begin(), values.end(), key) != values.end()) return true;
        }
        return false;
    }

private:
    struct binding;
    static std::string_view cell_of(const binding& b, const std::vector<std::string>& row) {
        std::string_view cell;
        if (b.column != npos && b.column < row.size()) cell = trim(row[b.column]);
        if (cell.empty() && b.rule->default_value) cell = *b.rule->default_value;
        return cell;
    }
    static std::string replace(const field_rule& rule, std::string_view text) {
        if (!rule.values.empty()) {
            const auto it = rule.values.find(fold_key(text));
            if (it != rule.values.end()) return it->second;
        }
        return std::string(text);
    }

    struct binding {
        const field_rule* rule;
        std::size_t column;
        std::string name;
    };
    const table_mapping* mapping_;
    std::unordered_map<std::string, binding> fields_;
};

// --- Resolving codes ------------------------------------------------------------------------

// The outcome of resolving one text: a code ("" for unknown) or why not.
struct resolution {
    bool ok = true;
    std::string code;
    std::string expected;
    std::string reason;
    std::vector<std::string> suggestions;
};

// Exports repeat the same few values on many rows: each distinct text is resolved once.
template <class Compute>
const resolution& memoised(std::unordered_map<std::string, resolution>& cache,
                           const std::string& text, Compute&& compute) {
    auto it = cache.find(text);
    if (it == cache.end()) it = cache.emplace(text, compute(text)).first;
    return it->second;
}

resolution found(std::string code) {
    resolution r;
    r.code = std::move(code);
    return r;
}

std::vector<std::string> suggest(const taxonomy& t, std::string_view text, std::size_t n = 3) {
    std::vector<std::string> out;
    for (const auto& m : t.search(text, n)) out.push_back(m.code + " " + m.title);
    return out;
}

// Folded titles of a taxonomy -> node code; the shallowest node wins a shared title.
std::unordered_map<std::string, std::string> titles_of(const taxonomy& t) {
    std::unordered_map<std::string, std::string> out;
    for (std::uint32_t i = 0; i < t.size(); ++i) {
        const auto n = t.node_at_preorder(i);
        if (n != t.root() || !t.code(n).empty()) out.emplace(fold_key(t.title(n)), t.code(n));
    }
    return out;
}

class industry_resolver {
public:
    industry_resolver(const taxonomy& naics, const mapping& m)
        : naics_(&naics),
          crosswalk_name_(m.industry_crosswalk),
          sic_(m.industry_code == "sic"),
          titles_(titles_of(naics)) {
        if (!crosswalk_name_.empty())
            for (const auto& e : industry_crosswalk(crosswalk_name_)) {
                crosswalk_.emplace(fold_key(e.value), e.naics);
                if (!e.label.empty()) crosswalk_.emplace(fold_key(e.label), e.naics);
            }
        if (sic_)
            for (const auto& s : sic_to_naics()) sic_codes_.emplace(s.sic, &s);
        for (const auto& c : naics2017_changes()) changes_.emplace(c.naics2017, c.naics2022);
    }

    /// `naics`: the text is a NAICS code or title whatever the mapping's `industry_code` (the
    /// target of a mapping's `values`).
    const resolution& resolve(const std::string& text, bool naics = false) {
        const bool sic = sic_ && !naics;
        return memoised(sic ? cache_ : naics_cache_, text,
                        [this, sic](const std::string& t) { return compute(t, sic); });
    }

private:
    resolution compute(const std::string& text, bool sic) const {
        if (text.empty()) return {};
        const auto key = fold_key(text);
        if (const auto it = crosswalk_.find(key); it != crosswalk_.end()) return found(it->second);
        // A code, possibly followed by its title ("5415 - Computer Systems Design").
        const auto first = text.substr(0, text.find_first_of(" \t"));
        if (sic) {
            if (const auto it = sic_codes_.find(first); it != sic_codes_.end())
                return sic_industry_of(*it->second);
        } else {
            if (naics_->find(first)) return found(naics_->code(*naics_->find(first)));
            if (const auto it = changes_.find(first); it != changes_.end())
                return found(it->second);
        }
        if (const auto it = titles_.find(key); it != titles_.end()) return found(it->second);
        resolution r;
        r.ok = false;
        r.expected =
            (crosswalk_name_.empty() ? std::string() : "a " + crosswalk_name_ + " industry, ") +
            (sic ? "a SIC 1987 code, a NAICS 2022 title" : "a NAICS 2022 code or title") +
            ", or a value of the mapping's industry values";
        r.reason = "unknown industry";
        r.suggestions = suggest(*naics_, text);
        return r;
    }

    // A SIC industry whose parts lie in different NAICS sectors has no code that contains them:
    // the cell is a problem, with the parts, rather than an industry silently left unknown.
    resolution sic_industry_of(const sic_industry& s) const {
        if (!s.naics2022.empty()) return found(s.naics2022);
        resolution r;
        r.ok = false;
        std::string parts;
        for (const auto& p : s.parts) parts += (parts.empty() ? "" : ", ") + p;
        r.expected = "a SIC code within one NAICS 2022 sector (SIC " + s.sic + " " + s.title +
                     " went to " + parts +
                     ": name the one you mean under the mapping's industry values)";
        r.reason = "SIC code across NAICS sectors";
        for (const auto& p : s.parts)
            r.suggestions.push_back(p + " " + std::string(naics_->title(*naics_->find(p))));
        return r;
    }

    const taxonomy* naics_;
    std::string crosswalk_name_;
    bool sic_ = false;
    std::unordered_map<std::string, std::string> crosswalk_, changes_, titles_;
    std::unordered_map<std::string, const sic_industry*> sic_codes_;
    std::unordered_map<std::string, resolution> cache_, naics_cache_;
};

class country_resolver {
public:
    country_resolver(const taxonomy& geography, const mapping& m)
        : geography_(&geography), titles_(titles_of(geography)) {
        for (const auto& a : country_aliases()) aliases_.emplace(fold_key(a.alias), a.country);
        for (const auto& [name, codes] : m.territories) {
            auto node = geography.at(codes.front());
            for (const auto& c : codes) node = geography.lca(node, geography.at(c));
            territories_.emplace(name, geography.code(node));
        }
    }

    const resolution& resolve(const std::string& text) {
        return memoised(cache_, text, [this](const std::string& t) { return compute(t); });
    }

private:
    resolution compute(const std::string& text) const {
        if (text.empty()) return {};
        const auto key = fold_key(text);
        if (const auto it = territories_.find(key); it != territories_.end())
            return found(it->second);
        if (const auto it = aliases_.find(key); it != aliases_.end()) return found(it->second);
        if (const auto n = geography_->find(text)) return found(geography_->code(*n));
        if (const auto it = titles_.find(key); it != titles_.end()) return found(it->second);
        resolution r;
        r.ok = false;
        if (is_sales_territory(text)) {
            r.expected =
                "a country or UN M49 region ('" + text +
                "' is a sales territory: declare it under \"territories\" in the mapping as a "
                "list of M49 codes)";
            r.reason = "undeclared territory";
            return r;
        }
        r.expected = "a country or region of UN M49 (a name, an ISO 3166-1 code or an alias)";
        r.reason = "unknown country";
        r.suggestions = suggest(*geography_, text);
        return r;
    }

    const taxonomy* geography_;
    std::unordered_map<std::string, std::string> titles_, aliases_, territories_;
    std::unordered_map<std::string, resolution> cache_;
};

// Products by id or name, case ignored; without a catalogue export, every distinct product
// named becomes one.
class product_resolver {
public:
    explicit product_resolver(bool fixed) : fixed_(fixed) {}

    void add(const product& p, const std::string& code = {}) {
        by_key_.emplace(fold_key(p.id), p.id);
        if (!code.empty()) by_key_.emplace(fold_key(code), p.id);
        if (!p.name.empty()) by_key_.emplace(fold_key(p.name), p.id);
        products_.push_back(p);
    }

    resolution resolve(const std::string& text) {
        const auto key = fold_key(text);
        if (const auto it = by_key_.find(key); it != by_key_.end()) return found(it->second);
        if (!fixed_) {
            add(product{text, text, ""});
            return found(text);
        }
        resolution r;
        r.ok = false;
        r.expected = "a product id or name of the product catalogue";
        r.reason = "unknown product";
        if (!index_) {
            std::vector<taxonomy_entry> entries;
            for (const auto& p : products_)
                entries.push_back({p.id, p.name.empty() ? p.id : p.name + " (" + p.id + ")", ""});
            index_.emplace("", "", entries);
        }
        for (const auto& m : index_->search(text, 3)) r.suggestions.push_back(m.title);
        return r;
    }

    [[nodiscard]] const std::vector<product>& products() const { return products_; }

private:
    bool fixed_;
    std::unordered_map<std::string, std::string> by_key_;
    std::vector<product> products_;
    std::optional<taxonomy> index_;
};

// --- Rows ---------------------------------------------------------------------------------------

// The problems of the row being mapped.
struct row_context {
    const std::string* file;
    std::size_t line;
    std::vector<row_problem> problems;

    void fail(std::string column, std::string value, std::string expected, std::string reason,
              std::vector<std::string> suggestions = {}) {
        problems.push_back({*file, line, std::move(column), std::move(value), std::move(expected),
                            std::move(suggestions), std::move(reason)});
    }
    void fail(const bound_table& t, std::string_view field, std::string value,
              const resolution& r) {
        problems.push_back(
            {*file, line, t.column(field), std::move(value), r.expected, r.suggestions, r.reason});
    }
};

std::string activity_key(std::string_view text) {
    auto key = fold_key(text);
    std::replace(key.begin(), key.end(), ' ', '_');
    return key;
}

// The pieces an account and an opportunity share.
struct company_fields {
    std::string industry, country;
    size_band size;
    std::vector<std::string> products;
};

enum class account_role { reference, prospect, account };

struct account_record {
    reference_customer customer;
    account_role role = account_role::reference;
    bool rejected = false;
};

struct opportunity_record {
    prospect p;
    std::optional<measurement::opportunity_outcome> outcome;
    bool skipped = false;  // a row the mapping skips: an outcome only, not a prospect
    std::string account_id;
    std::size_t line = 0;
    std::vector<std::string> fields;  // kept for a reject file
    std::string rejected;             // why, when it was
    bool own_problems = false;        // rejected for problems of its own row
};

class importer {
public:
    importer(const crm_exports& exports, const mapping& m, const import_options& options)
        : exports_(exports),
          mapping_(m),
          options_(options),
          naics_(naics2022()),
          geography_(m49_geography()),
          industries_(naics_, m),
          countries_(geography_, m),
          products_(exports.products.has_value()) {}

    import_result run() {
        if (!exports_.accounts && !exports_.opportunities)
            throw error("CRM import: expected an accounts or an opportunities export, got neither");
        if (exports_.products) read_products(*exports_.products);
        if (exports_.accounts) read_accounts(*exports_.accounts);
        if (exports_.opportunities) read_opportunities(*exports_.opportunities);
        if (exports_.opportunity_products)
            read_opportunity_products(*exports_.opportunity_products);
        return finish();
    }

private:
    // -- per table ---------------------------------------------------------------------------

    file_summary& begin_file(const crm_export& e, const char* table) {
        report_.files.push_back({e.source, table, {}, 0, 0, 0, 0});
        return report_.files.back();
    }

    // Reads an export; `map_row` returns false when the row was skipped. File-level errors
    // (malformed CSV, a missing column) end the import.
    void read(const crm_export& e, const char* table, const table_mapping& t,
              std::initializer_list<std::string_view> required,
              const std::function<bool(const bound_table&, row_context&,
                                       std::vector<std::string>&)>& map_row) {
        const auto index = report_.files.size();
        begin_file(e, table);
        std::optional<bound_table> bound;
        try {
            for_each_row(
                e,
                [&](std::vector<std::string>& header) {
                    report_.files[index].header = header;
                    bound.emplace(t, header);
                    for (const auto field : required) {
                        if (bound->has(field)) continue;
                        const auto* rule = t.find(field);
                        if (rule && rule->default_value) continue;
                        const auto alternatives = bound->alternatives(field);
                        throw parse_error(e.source, 1, "",
                                          "a column for " + std::string(table) + " field '" +
                                              std::string(field) + "'" +
                                              (alternatives.empty() ? " (the mapping names none)"
                                                                    : " (" + alternatives + ")"),
                                          "none of them");
                    }
                },
                [&](std::size_t line, std::vector<std::string>& cells) {
                    auto& summary = report_.files[index];
                    ++summary.read;
                    row_context row{&e.source, line, {}};
                    const bool imported = map_row(*bound, row, cells);
                    if (!row.problems.empty()) {
                        ++summary.rejected;
                        reject(e.source, line, row.problems.front().message(),
                               row.problems.front().reason, cells);
                        for (auto& p : row.problems) report_.problems.push_back(std::move(p));
                    } else if (imported) {
                        ++summary.mapped;
                    } else {
                        ++summary.skipped;
                    }
                });
        } catch (const parse_error& err) {
            report_.problems.push_back({err.file(),
                                        err.line(),
                                        err.field(),
                                        err.found(),
                                        err.expected(),
                                        {},
                                        "unusable file"});
            throw import_error(std::move(report_));
        }
    }

    void reject(const std::string& file, std::size_t line, std::string why,
                const std::string& reason, const std::vector<std::string>& cells) {
        ++report_.rejected_by_reason[reason];
        if (options_.skip_bad_rows) report_.rejected.push_back({file, line, std::move(why), cells});
    }

    void read_products(const crm_export& e) {
        std::unordered_map<std::string, std::size_t> lines;
        read(e, "products", mapping_.products, {"id"},
             [&](const bound_table& t, row_context& row, std::vector<std::string>& cells) {
                 product p{t.get(cells, "id"), t.get(cells, "name"), t.get(cells, "family")};
                 if (p.id.empty()) {
                     row.fail(t.column("id"), "", "a product id", "missing id");
                     return false;
                 }
                 const auto [it, fresh] = lines.emplace(fold_key(p.id), row.line);
                 if (!fresh) {
                     row.fail(t.column("id"), p.id,
                              "a product id not used before (first on line " +
                                  std::to_string(it->second) + ")",
                              "duplicate id");
                     return false;
                 }
                 products_.add(p, t.get(cells, "code"));
                 return true;
             });
    }

    // Industry, country, size and (unless `with_products` is false) products of an account or
    // opportunity row.
    company_fields company(const bound_table& t, row_context& row,
                           const std::vector<std::string>& cells, bool with_products = true) {
        company_fields out;
        const auto industry = t.get(cells, "industry");
        const auto& i = industries_.resolve(industry, t.replaced(cells, "industry"));
        if (i.ok)
            out.industry = i.code;
        else
            row.fail(t, "industry", industry, i);
        const auto country = t.get(cells, "country");
        const auto& c = countries_.resolve(country);
        if (c.ok)
            out.country = c.code;
        else
            row.fail(t, "country", country, c);
        if (t.mapped("size_band")) {
            const auto band = t.get(cells, "size_band");
            if (!band.empty()) {
                const auto v = detail::parse_amount(band, {});
                if (!v || *v < 0 || *v >= sizes_.count() || *v != static_cast<int>(*v))
                    row.fail(t.column("size_band"), band,
                             "a size band 0.." + std::to_string(sizes_.count() - 1),
                             "bad size band");
                else
                    out.size = static_cast<std::uint8_t>(*v);
            }
        }
        const auto employees = t.get(cells, "employees");
        if (!employees.empty() && !out.size) {
            detail::headcount_error why{};
            const auto n = detail::parse_headcount(employees, mapping_.numbers, why);
            if (n) {
                out.size = sizes_.band_of(*n);
            } else if (why == detail::headcount_error::fraction) {
                row.fail(t.column("employees"), employees,
                         std::string("a whole number of employees (if the export writes "
                                     "thousands with '") +
                             mapping_.numbers.decimal + "', set numbers.thousands to '" +
                             mapping_.numbers.decimal + "' in the mapping)",
                         "bad employee count");
            } else {
                row.fail(t.column("employees"), employees,
                         "a number of employees (1200, 1,200, 50-249 or 10,000+)",
                         "bad employee count");
            }
        }
        if (!with_products) return out;
        for (const auto& item : t.list(cells, "products")) {
            const auto p = products_.resolve(item);
            if (p.ok)
                out.products.push_back(p.code);
            else
                row.fail(t.column("products"), item, p.expected, p.reason, p.suggestions);
        }
        return out;
    }

    // A yes/no cell (Salesforce's IsWon, HubSpot's "Is Closed Won"); nullopt when blank.
    std::optional<bool> flag(const bound_table& t, row_context& row,
                             const std::vector<std::string>& cells, std::string_view field) {
        const auto text = t.get(cells, field);
        if (text.empty()) return std::nullopt;
        const auto key = fold_key(text);
        if (key == "true" || key == "1" || key == "yes") return true;
        if (key == "false" || key == "0" || key == "no") return false;
        row.fail(t.column(field), text, "true or false (1 or 0, yes or no)", "bad flag");
        return std::nullopt;
    }

    // Whether an opportunities export carries outcomes: a column for the stage's outcome or for
    // one of the won / closed flags.
    static bool has_outcomes(const bound_table& t) {
        return t.has("outcome") || t.has("is_won") || t.has("is_closed");
    }

    // Where an opportunity row stands (docs/crm.md, "Outcomes"): the won / closed flags decide
    // when the export has them, else the stage as the mapping's outcome values read it.
    measurement::deal_status deal_state(const bound_table& t, row_context& row,
                                        const std::vector<std::string>& cells) {
        using measurement::deal_status;
        const auto said = t.get(cells, "outcome");
        const auto status = said == "won"    ? deal_status::won
                            : said == "lost" ? deal_status::lost
                                             : deal_status::open;
        const auto won = flag(t, row, cells, "is_won");
        const auto closed = flag(t, row, cells, "is_closed");
        if (closed) {
            if (!*closed) return deal_status::open;
            return (won ? *won : status == deal_status::won) ? deal_status::won : deal_status::lost;
        }
        if (won && *won) return deal_status::won;
        return status;
    }

    // The outcome of an opportunity row with the segment and amount of its prospect `p`.
    measurement::opportunity_outcome outcome(const bound_table& t, row_context& row,
                                             const std::vector<std::string>& cells,
                                             const prospect& p, measurement::deal_status status) {
        using measurement::deal_status;
        measurement::opportunity_outcome o;
        o.opportunity_id = p.id;
        o.name = p.name;
        o.industry = p.industry;
        o.country = p.country;
        o.size = p.size;
        o.stage = p.stage;
        o.amount = p.deal_value;
        o.status = status;
        o.created = day(t, row, cells, "created");
        if (status != deal_status::open) {
            o.closed = day(t, row, cells, "closed");
            if (!o.closed && t.get(cells, "closed").empty())
                row.fail(t.column("closed"), "", "a close date for a won or lost opportunity",
                         "missing close date");
        }
        if (o.created && o.closed && *o.created > *o.closed)
            row.fail(t.column("created"), t.get(cells, "created"),
                     "a day on or before the close date " + format_date(*o.closed),
                     "created after closed");
        return o;
    }

    std::optional<date> day(const bound_table& t, row_context& row,
                            const std::vector<std::string>& cells, std::string_view field) {
        const auto text = t.get(cells, field);
        if (text.empty()) return std::nullopt;
        if (auto d = detail::parse_date_as(text, mapping_.date_formats)) return d;
        std::string formats;
        for (const auto& f : mapping_.date_formats) formats += (formats.empty() ? "" : ", ") + f;
        row.fail(t.column(field), text, "a date as " + formats, "bad date");
        return std::nullopt;
    }

    std::optional<double> number(const bound_table& t, row_context& row,
                                 const std::vector<std::string>& cells, std::string_view field,
                                 double lo, double hi, const char* what) {
        const auto text = t.get(cells, field);
        if (text.empty()) return std::nullopt;
        const auto v = detail::parse_amount(text, mapping_.numbers);
        if (!v || *v < lo || *v > hi) {
            row.fail(t.column(field), text, what, "bad number");
            return std::nullopt;
        }
        return v;
    }

    std::optional<activity_id> activity(const bound_table& t, row_context& row,
                                        std::string_view field, const std::string& text) {
        if (const auto a = activities_.find(activity_key(text))) return a;
        std::string names;
        for (const auto n : activity::standard_names)
            names += (names.empty() ? "" : ", ") + std::string(n);
        row.fail(t.column(field), text, "an activity type: " + names, "unknown activity");
        return std::nullopt;
    }

    void read_accounts(const crm_export& e) {
        read(e, "accounts", mapping_.accounts, {"id"},
             [&](const bound_table& t, row_context& row, std::vector<std::string>& cells) {
                 account_record a;
                 auto& r = a.customer;
                 r.id = t.get(cells, "id");
                 if (r.id.empty()) row.fail(t.column("id"), "", "an account id", "missing id");
                 r.name = t.get(cells, "name");
                 r.owner = t.get(cells, "owner");
                 // An export without the role column lists reference customers.
                 const auto* role_rule = mapping_.accounts.find("role");
                 if (role_rule && (t.has("role") || role_rule->columns.empty())) {
                     const auto role = t.get(cells, "role");
                     a.role = role == "reference"  ? account_role::reference
                              : role == "prospect" ? account_role::prospect
                                                   : account_role::account;
                 }
                 auto c = company(t, row, cells);
                 r.industry = std::move(c.industry);
                 r.country = std::move(c.country);
                 r.size = c.size;
                 r.products = std::move(c.products);
                 const auto status = fold_key(t.get(cells, "status"));
                 if (!status.empty()) {
                     if (const auto s = parse_reference_status(status))
                         r.status = *s;
                     else
                         row.fail(t.column("status"), t.get(cells, "status"),
                                  "one of candidate, active, paused, retired (or a value of the "
                                  "mapping's status values)",
                                  "bad status");
                 }
                 // Usually the same few texts on every row (often the mapping's default).
                 const auto consents_text = t.get(cells, "consents");
                 auto known = consents_.find(consents_text);
                 if (known == consents_.end()) {
                     std::vector<activity_consent> list;
                     bool ok = true;
                     for (const auto& item : t.list(cells, "consents")) {
                         if (const auto id = activity(t, row, "consents", item))
                             list.push_back({*id, std::nullopt});
                         else
                             ok = false;
                     }
                     if (ok)
                         known = consents_.emplace(consents_text, std::move(list)).first;
                     else
                         r.consents = std::move(list);
                 }
                 if (known != consents_.end()) r.consents = known->second;
                 if (const auto v = number(t, row, cells, "nps", 0, 10, "an NPS answer 0-10")) {
                     if (*v != static_cast<int>(*v))
                         row.fail(t.column("nps"), t.get(cells, "nps"), "an NPS answer 0-10",
                                  "bad number");
                     else
                         r.signals.nps = static_cast<std::uint8_t>(*v);
                 }
                 r.signals.csat = number(t, row, cells, "csat", 0, 100, "a CSAT 0-100");
                 r.signals.health = number(t, row, cells, "health", 0, 100, "a health score 0-100");
                 r.last_contact = day(t, row, cells, "last_contact");
                 if (!r.id.empty()) {
                     const auto [it, fresh] = account_index_.emplace(r.id, accounts_.size());
                     if (!fresh) {
                         row.fail(t.column("id"), r.id,
                                  "an account id not used before (first on line " +
                                      std::to_string(account_lines_[it->second]) + ")",
                                  "duplicate id");
                         return false;
                     }
                     a.rejected = !row.problems.empty();
                     accounts_.push_back(std::move(a));
                     account_lines_.push_back(row.line);
                 }
                 return true;
             });
    }

    void read_opportunities(const crm_export& e) {
        const bool linked = exports_.accounts.has_value();
        read(e, "opportunities", mapping_.opportunities,
             linked ? std::initializer_list<std::string_view>{"id", "account_id"}
                    : std::initializer_list<std::string_view>{"id"},
             [&](const bound_table& t, row_context& row, std::vector<std::string>& cells) {
                 opportunity_record o;
                 auto& p = o.p;
                 p.id = t.get(cells, "id");
                 if (p.id.empty()) row.fail(t.column("id"), "", "an opportunity id", "missing id");
                 // A skipped or closed opportunity is no prospect, but it is an outcome.
                 const bool with_outcome = has_outcomes(t);
                 const auto status =
                     with_outcome ? deal_state(t, row, cells) : measurement::deal_status::open;
                 o.skipped = t.skipped(cells) || status != measurement::deal_status::open;
                 if (o.skipped) {
                     if (!p.id.empty()) skipped_opportunities_.insert(p.id);
                     if (!with_outcome) return false;
                 }
                 o.account_id = t.get(cells, "account_id");
                 const account_record* account = nullptr;
                 if (linked) {
                     const auto it = account_index_.find(o.account_id);
                     if (it == account_index_.end())
                         row.fail(t.column("account_id"), o.account_id,
                                  "an account id of the accounts export", "unknown account");
                     else
                         account = &accounts_[it->second];
                 }
                 p.name = t.get(cells, "name");
                 p.owner = t.get(cells, "owner");
                 p.stage = t.get(cells, "stage");
                 auto c = company(t, row, cells, !o.skipped);
                 p.industry = std::move(c.industry);
                 p.country = std::move(c.country);
                 p.size = c.size;
                 p.products = std::move(c.products);
                 if (account) {
                     const auto& a = account->customer;
                     if (p.industry.empty()) p.industry = a.industry;
                     if (p.country.empty()) p.country = a.country;
                     if (!p.size) p.size = a.size;
                     if (p.name.empty()) p.name = a.name;
                     // A reference is never proposed to its own company.
                     if (account->role == account_role::reference) p.exclusions.push_back(a.id);
                 }
                 if (const auto v = number(t, row, cells, "deal_value", 0, 1e300,
                                           "an amount >= 0 ($1,000, 1,000.00, USD 1000)"))
                     p.deal_value = *v;
                 if (!o.skipped) {
                     const auto requested = t.get(cells, "activity");
                     if (!requested.empty()) p.activity = activity(t, row, "activity", requested);
                     p.needed_by = day(t, row, cells, "needed_by");
                     for (auto& x : t.list(cells, "exclusions"))
                         p.exclusions.push_back(std::move(x));
                 }
                 if (with_outcome) o.outcome = outcome(t, row, cells, p, status);
                 if (p.id.empty()) return !o.skipped;
                 const auto [it, fresh] = opportunity_index_.emplace(p.id, opportunities_.size());
                 if (!fresh) {
                     row.fail(t.column("id"), p.id,
                              "an opportunity id not used before (first on line " +
                                  std::to_string(opportunities_[it->second].line) + ")",
                              "duplicate id");
                     return false;
                 }
                 o.line = row.line;
                 if (!row.problems.empty()) {
                     o.rejected = row.problems.front().message();
                     o.own_problems = true;
                 } else if (account && account->rejected) {
                     o.rejected =
                         "its account '" + o.account_id + "' (" + e.source + ") was rejected";
                 }
                 if (options_.skip_bad_rows) o.fields = cells;
                 const bool imported = !o.skipped;
                 opportunities_.push_back(std::move(o));
                 return imported;
             });
        // Opportunities of rejected accounts: left out with their account.
        auto& summary = report_.files.back();
        for (auto& o : opportunities_)
            if (!o.rejected.empty() && !o.own_problems) {
                --(o.skipped ? summary.skipped : summary.mapped);
                ++summary.rejected;
                reject(e.source, o.line, o.rejected, "account rejected", o.fields);
            }
    }

    void read_opportunity_products(const crm_export& e) {
        std::vector<std::pair<std::size_t, std::string>> failed;  // opportunity, why
        read(
            e, "opportunity_products", mapping_.opportunity_products, {"opportunity_id", "product"},
            [&](const bound_table& t, row_context& row, std::vector<std::string>& cells) {
                const auto id = t.get(cells, "opportunity_id");
                if (skipped_opportunities_.count(id)) return false;
                const auto it = opportunity_index_.find(id);
                if (it == opportunity_index_.end()) {
                    row.fail(t.column("opportunity_id"), id,
                             "an opportunity id of the opportunities export",
                             "unknown opportunity");
                    return false;
                }
                auto& o = opportunities_[it->second];
                const auto before = row.problems.size();
                for (const auto& item : t.list(cells, "product")) {
                    const auto p = products_.resolve(item);
                    if (p.ok)
                        o.p.products.push_back(p.code);
                    else
                        row.fail(t.column("product"), item, p.expected, p.reason, p.suggestions);
                }
                if (t.get(cells, "product").empty())
                    row.fail(t.column("product"), "", "a product id or name", "missing product");
                if (row.problems.size() > before && o.rejected.empty())
                    failed.emplace_back(it->second, "its product line " + e.source + ":" +
                                                        std::to_string(row.line) + " was rejected");
                return true;
            });
        // An opportunity is imported with all its products or not at all.
        const auto& opportunities_file = *exports_.opportunities;
        auto summary =
            std::find_if(report_.files.begin(), report_.files.end(),
                         [](const file_summary& f) { return f.table == "opportunities"; });
        for (const auto& [index, why] : failed) {
            auto& o = opportunities_[index];
            if (!o.rejected.empty()) continue;
            o.rejected = why;
            --summary->mapped;
            ++summary->rejected;
            reject(opportunities_file.source, o.line, why, "product line rejected", o.fields);
        }
    }

    // -- the program ---------------------------------------------------------------------------

    import_result finish() {
        if (!report_.problems.empty() && !options_.skip_bad_rows)
            throw import_error(std::move(report_));
        std::vector<reference_customer> references;
        std::vector<prospect> prospects;
        for (auto& a : accounts_) {
            if (a.rejected) continue;
            if (a.role == account_role::reference) {
                references.push_back(std::move(a.customer));
            } else if (a.role == account_role::prospect) {
                auto& c = a.customer;
                prospect p;
                p.id = c.id;
                p.name = c.name;
                p.industry = c.industry;
                p.products = c.products;
                p.country = c.country;
                p.size = c.size;
                p.owner = c.owner;
                if (opportunity_index_.count(p.id)) continue;  // the opportunity wins the id
                prospects.push_back(std::move(p));
            }
        }
        std::vector<measurement::opportunity_outcome> outcomes;
        for (auto& o : opportunities_) {
            if (!o.rejected.empty()) continue;
            if (o.outcome) outcomes.push_back(std::move(*o.outcome));
            if (!o.skipped) prospects.push_back(std::move(o.p));
        }
        std::sort(report_.rejected.begin(), report_.rejected.end(),
                  [](const rejected_row& a, const rejected_row& b) {
                      return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                  });
        auto p = assemble(product_catalog(products_.products()), std::move(references),
                          std::move(prospects));
        report_.references = p->references.size();
        report_.prospects = p->prospects.size();
        report_.products = p->vocab->products.size();
        for (const auto& o : outcomes) ++report_.outcomes[static_cast<std::size_t>(o.status)];
        return {std::move(p), std::move(report_), std::move(outcomes)};
    }

    // The import becomes a program through the one assembly of every loader: tables first,
    // then program_tables::assemble (vocabulary, then the stores' all-or-nothing add_all).
    std::unique_ptr<program> assemble(product_catalog products,
                                      std::vector<reference_customer> references,
                                      std::vector<prospect> prospects) {
        program_tables tables;
        tables.vocab = standard_vocabulary(std::move(products));
        tables.references = std::move(references);
        tables.prospects = std::move(prospects);
        try {
            return std::move(tables).assemble();
        } catch (const validation_error& e) {
            report_.problems.push_back(
                {"", 0, e.field(), e.found(), e.expected(), {}, "invalid record"});
            throw import_error(std::move(report_));
        }
    }

    const crm_exports& exports_;
    const mapping& mapping_;
    import_options options_;
    taxonomy naics_, geography_;
    industry_resolver industries_;
    country_resolver countries_;
    product_resolver products_;
    activity_catalog activities_;
    size_bands sizes_;
    import_report report_;

    std::vector<account_record> accounts_;
    std::vector<std::size_t> account_lines_;
    std::unordered_map<std::string, std::size_t> account_index_;
    std::vector<opportunity_record> opportunities_;
    std::unordered_map<std::string, std::size_t> opportunity_index_;
    std::unordered_set<std::string> skipped_opportunities_;
    std::unordered_map<std::string, std::vector<activity_consent>> consents_;
};

}  // namespace

// --- Reports -------------------------------------------------------------------------------------

std::string row_problem::message() const {
    auto text = parse_error::format(file, line, column, expected, value);
    if (!suggestions.empty()) {
        text += "; did you mean ";
        for (std::size_t i = 0; i < suggestions.size(); ++i)
            text += (i ? ", " : "") + suggestions[i];
        text += '?';
    }
    return text;
}

std::size_t import_report::rows_read() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.read;
    return n;
}
std::size_t import_report::rows_mapped() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.mapped;
    return n;
}
std::size_t import_report::rows_rejected() const {
    std::size_t n = 0;
    for (const auto& f : files) n += f.rejected;
    return n;
}

std::string import_report::summary() const {
    std::string out;
    for (const auto& f : files) {
        out += f.file + " (" + f.table + "): " + std::to_string(f.read) + " rows read, " +
               std::to_string(f.mapped) + " mapped";
        if (f.skipped) out += ", " + std::to_string(f.skipped) + " skipped";
        out += ", " + std::to_string(f.rejected) + " rejected\n";
    }
    if (!rejected_by_reason.empty()) {
        out += "rejected by reason:\n";
        for (const auto& [reason, n] : rejected_by_reason)
            out += "  " + reason + ": " + std::to_string(n) + "\n";
    }
    out += "program: " + std::to_string(references) + " references, " + std::to_string(prospects) +
           " prospects, " + std::to_string(products) + " products\n";
    if (outcomes[0] + outcomes[1] + outcomes[2] != 0)
        out += "outcomes: " + std::to_string(outcomes[1]) + " won, " + std::to_string(outcomes[2]) +
               " lost, " + std::to_string(outcomes[0]) + " open\n";
    return out;
}

std::string import_report::rejects_csv(const std::string& file) const {
    std::string out;
    const auto f = std::find_if(files.begin(), files.end(),
                                [&](const file_summary& s) { return s.file == file; });
    if (f == files.end()) return out;
    auto header = f->header;
    header.push_back("reject_reason");
    refmatch::detail::append_csv_row(out, header);
    for (const auto& r : rejected) {
        if (r.file != file) continue;
        auto cells = r.fields;
        cells.resize(f->header.size());
        cells.push_back(r.reason);
        refmatch::detail::append_csv_row(out, cells);
    }
    return out;
}

namespace {
std::string import_message(const import_report& r) {
    std::string out = "CRM import failed: " + std::to_string(r.problems.size()) +
                      (r.problems.size() == 1 ? " problem" : " problems") + ", nothing imported";
    const std::size_t shown = std::min<std::size_t>(r.problems.size(), 5);
    for (std::size_t i = 0; i < shown; ++i) out += "\n  " + r.problems[i].message();
    if (r.problems.size() > shown)
        out += "\n  ... and " + std::to_string(r.problems.size() - shown) + " more";
    return out;
}
}  // namespace

import_error::import_error(import_report report)
    : error(import_message(report)), report_(std::move(report)) {}

import_result import_crm(const crm_exports& exports, const mapping& m,
                         const import_options& options) {
    return importer(exports, m, options).run();
}

}  // namespace refmatch::crm
