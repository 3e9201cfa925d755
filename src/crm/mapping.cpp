// Mapping files: JSON text -> crm::mapping, with every key checked and named in messages.

#include "crm/embedded.hpp"

#include <refmatch/crm/mapping.hpp>
#include <refmatch/detail/text.hpp>
#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace refmatch::crm {
namespace {

using json = nlohmann::json;

// The fields each table may fill (docs/crm.md).
constexpr std::array<std::string_view, 15> account_fields = {
    "id",   "name",   "industry", "country", "employees", "size_band", "products",    "owner",
    "role", "status", "consents", "nps",     "csat",      "health",    "last_contact"};
constexpr std::array<std::string_view, 19> opportunity_fields = {
    "id",       "account_id", "name",      "industry", "country",   "employees",  "size_band",
    "products", "deal_value", "stage",     "activity", "needed_by", "exclusions", "owner",
    "outcome",  "is_won",     "is_closed", "created",  "closed"};
constexpr std::array<std::string_view, 2> line_fields = {"opportunity_id", "product"};
constexpr std::array<std::string_view, 4> product_fields = {"id", "code", "name", "family"};
constexpr std::array<std::string_view, 6> match_columns = {
    "opportunity_id", "reference_id", "rank", "score", "reason", "date"};
constexpr std::array<std::string_view, 5> gap_columns = {"opportunity_id", "best_score",
                                                         "qualifying", "covered", "date"};

class reader {
public:
    explicit reader(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const std::string& path, const std::string& expected,
                           const json& found) const {
        throw parse_error(source_, 0, path, expected,
                          found.is_string() ? found.get<std::string>() : found.dump());
    }

    template <std::size_t N>
    void check_keys(const json& object, const std::string& path,
                    const std::array<std::string_view, N>& known, bool allow_skip = false) const {
        if (!object.is_object()) fail(path, "an object", object);
        for (const auto& [key, value] : object.items()) {
            if (allow_skip && key == "skip") continue;
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string list;
                for (const auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
                if (allow_skip) list += ", skip";
                fail(path.empty() ? key : path + "." + key, "one of " + list, key);
            }
        }
    }

    std::string text(const json& v, const std::string& path) const {
        if (!v.is_string()) fail(path, "a string", v);
        return v.get<std::string>();
    }

    std::vector<std::string> texts(const json& v, const std::string& path, const char* what) const {
        std::vector<std::string> out;
        if (v.is_string()) {
            out.push_back(v.get<std::string>());
        } else if (v.is_array() && !v.empty()) {
            for (const auto& item : v) {
                if (!item.is_string()) fail(path, std::string(what) + " or a list of them", v);
                out.push_back(item.get<std::string>());
            }
        } else {
            fail(path, std::string(what) + " or a list of them", v);
        }
        return out;
    }

    field_rule rule(const json& v, const std::string& path) const {
        field_rule r;
        if (!v.is_object()) {
            r.columns = texts(v, path, "a column name");
            return r;
        }
        static constexpr std::array<std::string_view, 5> keys = {"columns", "column", "values",
                                                                 "separator", "default"};
        check_keys(v, path, keys);
        if (v.contains("columns"))
            r.columns = texts(v["columns"], path + ".columns", "a column name");
        if (v.contains("column")) r.columns = texts(v["column"], path + ".column", "a column name");
        if (v.contains("values")) {
            const auto& values = v["values"];
            if (!values.is_object()) fail(path + ".values", "an object of value -> value", values);
            for (const auto& [from, to] : values.items()) {
                const auto key = refmatch::detail::fold_key(from);
                if (!r.values.emplace(key, text(to, path + ".values." + from)).second)
                    fail(path + ".values", "values that differ when case and accents are ignored",
                         from);
            }
        }
        if (v.contains("separator")) {
            r.separator = text(v["separator"], path + ".separator");
            if (r.separator.empty())
                fail(path + ".separator", "one or more characters", v["separator"]);
        }
        if (v.contains("default")) r.default_value = text(v["default"], path + ".default");
        if (r.columns.empty() && !r.default_value && r.values.empty())
            fail(path, "columns or a default", v);
        return r;
    }

    template <std::size_t N>
    table_mapping table(const json& v, const std::string& path,
                        const std::array<std::string_view, N>& fields) const {
        table_mapping t;
        check_keys(v, path, fields, true);
        for (const auto& [key, value] : v.items()) {
            if (key == "skip") {
                if (!value.is_object()) fail(path + ".skip", "an object of field -> values", value);
                for (const auto& [field, values] : value.items()) {
                    if (std::find(fields.begin(), fields.end(), field) == fields.end())
                        fail(path + ".skip." + field, "a field of the table", field);
                    auto& list = t.skip[field];
                    for (const auto& s : texts(values, path + ".skip." + field, "a value"))
                        list.push_back(refmatch::detail::fold_key(s));
                }
                continue;
            }
            t.fields.emplace(key, rule(value, path + "." + key));
        }
        return t;
    }

    void check_date_format(const std::string& f, const std::string& path) const {
        bool year = false, month = false, day = false;
        for (std::size_t i = 0; i < f.size();) {
            if (f.compare(i, 4, "YYYY") == 0) {
                year = true;
                i += 4;
            } else if (f[i] == 'M') {
                month = true;
                i += f.compare(i, 2, "MM") == 0 ? 2 : 1;
            } else if (f[i] == 'D') {
                day = true;
                i += f.compare(i, 2, "DD") == 0 ? 2 : 1;
            } else if ((f[i] >= 'A' && f[i] <= 'Z') || (f[i] >= 'a' && f[i] <= 'z') ||
                       (f[i] >= '0' && f[i] <= '9')) {
                fail(path, "a date format of YYYY, MM, M, DD, D and separators", json(f));
            } else {
                ++i;
            }
        }
        if (!year || !month || !day)
            fail(path, "a date format with a year, a month and a day", json(f));
    }

    mapping build(const json& doc) const {
        static constexpr std::array<std::string_view, 14> top = {"format",
                                                                 "version",
                                                                 "name",
                                                                 "description",
                                                                 "extends",
                                                                 "industry_crosswalk",
                                                                 "industry_code",
                                                                 "dates",
                                                                 "numbers",
                                                                 "territories",
                                                                 "accounts",
                                                                 "opportunities",
                                                                 "opportunity_products",
                                                                 "products"};
        if (!doc.is_object()) fail("", "a JSON object", doc);
        for (const auto& [key, value] : doc.items())
            if (key != "export" && std::find(top.begin(), top.end(), key) == top.end())
                fail(key, "a key of the mapping format (docs/crm.md)", key);
        if (!doc.contains("format") || doc["format"] != "refmatch-crm-mapping")
            fail("format", "\"refmatch-crm-mapping\"", doc.value("format", json("(none)")));
        if (!doc.contains("version") || doc["version"] != mapping_format_version)
            fail("version", "format version " + std::to_string(mapping_format_version),
                 doc.value("version", json("(none)")));
        mapping m;
        if (doc.contains("name")) m.name = text(doc["name"], "name");
        if (doc.contains("industry_crosswalk")) {
            m.industry_crosswalk = text(doc["industry_crosswalk"], "industry_crosswalk");
            if (m.industry_crosswalk != "salesforce" && m.industry_crosswalk != "hubspot" &&
                !m.industry_crosswalk.empty())
                fail("industry_crosswalk", "salesforce, hubspot or \"\"",
                     doc["industry_crosswalk"]);
        }
        if (doc.contains("industry_code")) {
            m.industry_code = text(doc["industry_code"], "industry_code");
            if (m.industry_code != "naics" && m.industry_code != "sic")
                fail("industry_code", "\"naics\" or \"sic\"", doc["industry_code"]);
        }
        if (doc.contains("dates")) {
            m.date_formats = texts(doc["dates"], "dates", "a date format");
            for (const auto& f : m.date_formats) check_date_format(f, "dates");
        }
        if (doc.contains("numbers")) {
            const auto& n = doc["numbers"];
            static constexpr std::array<std::string_view, 2> keys = {"thousands", "decimal"};
            check_keys(n, "numbers", keys);
            const auto one_char = [&](const char* key, char fallback) {
                if (!n.contains(key)) return fallback;
                const auto s = text(n[key], std::string("numbers.") + key);
                if (s.size() != 1 || (s[0] >= '0' && s[0] <= '9'))
                    fail(std::string("numbers.") + key, "one character that is not a digit",
                         n[key]);
                return s[0];
            };
            m.numbers.thousands = one_char("thousands", ',');
            m.numbers.decimal = one_char("decimal", '.');
            if (m.numbers.thousands == m.numbers.decimal)
                fail("numbers", "different thousands and decimal separators", n);
        }
        if (doc.contains("territories")) {
            const auto& t = doc["territories"];
            if (!t.is_object()) fail("territories", "an object of name -> M49 codes", t);
            const auto geography = m49_geography();
            for (const auto& [name, codes] : t.items()) {
                const auto path = "territories." + name;
                auto list = texts(codes, path, "an M49 code");
                for (const auto& c : list)
                    if (!geography.find(c))
                        fail(path, "codes of UN M49 countries or regions", json(c));
                m.territories[refmatch::detail::fold_key(name)] = std::move(list);
            }
        }
        if (doc.contains("accounts"))
            m.accounts = table(doc["accounts"], "accounts", account_fields);
        if (doc.contains("opportunities"))
            m.opportunities = table(doc["opportunities"], "opportunities", opportunity_fields);
        if (doc.contains("opportunity_products"))
            m.opportunity_products =
                table(doc["opportunity_products"], "opportunity_products", line_fields);
        if (doc.contains("products"))
            m.products = table(doc["products"], "products", product_fields);
        if (const auto* role = m.accounts.find("role"))
            for (const auto& [from, to] : role->values)
                if (to != "reference" && to != "prospect" && to != "account")
                    fail("accounts.role.values." + from, "reference, prospect or account",
                         json(to));
        if (const auto* role = m.accounts.find("role");
            role && role->default_value && *role->default_value != "reference" &&
            *role->default_value != "prospect" && *role->default_value != "account")
            fail("accounts.role.default", "reference, prospect or account",
                 json(*role->default_value));
        if (const auto* outcome = m.opportunities.find("outcome")) {
            const auto known = [](const std::string& s) {
                return s == "open" || s == "won" || s == "lost";
            };
            for (const auto& [from, to] : outcome->values)
                if (!known(to))
                    fail("opportunities.outcome.values." + from, "open, won or lost", json(to));
            if (outcome->default_value && !known(*outcome->default_value))
                fail("opportunities.outcome.default", "open, won or lost",
                     json(*outcome->default_value));
        }
        if (doc.contains("export")) {
            const auto& e = doc["export"];
            static constexpr std::array<std::string_view, 2> keys = {"matches", "gaps"};
            check_keys(e, "export", keys);
            for (const auto& [table_name, columns] : e.items()) {
                const auto path = "export." + table_name;
                if (table_name == "matches")
                    check_keys(columns, path, match_columns);
                else
                    check_keys(columns, path, gap_columns);
                for (const auto& [field, column] : columns.items())
                    m.exports[table_name][field] = text(column, path + "." + field);
            }
        }
        return m;
    }

private:
    std::string source_;
};

json parse_json(std::string_view text, const std::string& source) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw parse_error(source, 0, "", "a JSON document", std::string(e.what()).substr(0, 160));
    }
}

std::string_view preset_text(std::string_view name) {
    if (name == "salesforce") return refmatch::detail::crm_salesforce_json();
    if (name == "hubspot") return refmatch::detail::crm_hubspot_json();
    throw not_found_error("no mapping preset '" + std::string(name) +
                          "': expected hubspot or salesforce");
}

}  // namespace

mapping parse_mapping(std::string_view json_text, std::string_view source) {
    const std::string name(source.empty() ? "mapping" : source);
    json doc = parse_json(json_text, name);
    if (doc.is_object() && doc.contains("extends")) {
        const reader r(name);
        const auto base_name = r.text(doc["extends"], "extends");
        if (base_name != "salesforce" && base_name != "hubspot")
            r.fail("extends", "a preset: hubspot or salesforce", doc["extends"]);
        json base = parse_json(preset_text(base_name), base_name + ".json");
        doc.erase("extends");
        base.merge_patch(doc);
        doc = std::move(base);
    }
    return reader(name).build(doc);
}

mapping preset_mapping(std::string_view name) {
    const std::string source = std::string(name) + ".json";
    return parse_mapping(preset_text(name), source);
}

std::vector<std::string> preset_names() {
    return {"hubspot", "salesforce"};
}

mapping load_mapping(std::string_view name_or_path) {
    const auto presets = preset_names();
    if (std::find(presets.begin(), presets.end(), name_or_path) != presets.end())
        return preset_mapping(name_or_path);
    const std::filesystem::path path{std::string(name_or_path)};
    if (path.extension().empty() && !std::filesystem::exists(path))
        throw not_found_error("no mapping preset or file '" + path.string() +
                              "': expected hubspot, salesforce or a mapping file (.json)");
    return parse_mapping(read_file(path), path.filename().string());
}

}  // namespace refmatch::crm
