// A referral program directory: rules.json and four tables, each CSV (the project's reader) or
// JSON (records keyed by column, as docs/data-formats.md has it).

#include "io/csv.hpp"
#include "referrals/rows.hpp"

#include <refmatch/io.hpp>
#include <refmatch/referrals/program.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace refmatch::referrals {
namespace {

namespace fs = std::filesystem;
using detail::field_problem;

std::string json_format_name(const detail::table& t) {
    return "refmatch-referral-" + std::string(t.name);
}

template <class Record, class Parse>
std::vector<Record> read_csv_table(const fs::path& path, const detail::table& t, Parse parse) {
    const auto text = read_file(path);
    const std::string file = path.filename().string();
    std::vector<refmatch::detail::column_spec> specs;
    for (const auto c : t.columns)
        specs.push_back(
            {c, std::find(t.required.begin(), t.required.end(), c) != t.required.end()});
    std::optional<refmatch::detail::csv_columns> columns;
    std::vector<Record> out;
    refmatch::detail::read_csv(
        text, file,
        [&](refmatch::detail::csv_row& header) { columns.emplace(file, header, specs); },
        [&](refmatch::detail::csv_row& row) {
            columns->check_width(row);
            try {
                out.push_back(parse([&](std::string_view c) { return columns->get(row, c); }));
            } catch (const field_problem& p) {
                throw parse_error(file, row.line, p.field, p.expected, p.found);
            }
        });
    return out;
}

template <class Record, class Parse>
std::vector<Record> read_json_table(const fs::path& path, const detail::table& t, Parse parse) {
    const auto text = read_file(path);
    const std::string file = path.filename().string();
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw parse_error(file, 0, "", "a JSON object", text.substr(0, 40));
    if (j.value("format", "") != json_format_name(t))
        throw parse_error(file, 0, "format", "'" + json_format_name(t) + "'",
                          j.contains("format") ? j["format"].dump() : "");
    if (!j.contains("version") || j["version"] != 1)
        throw parse_error(file, 0, "version", "format version 1",
                          j.contains("version") ? j["version"].dump() : "");
    const std::string key(t.name);
    if (!j.contains(key) || !j[key].is_array())
        throw parse_error(file, 0, key, "an array of records",
                          j.contains(key) ? j[key].dump() : "");
    std::vector<Record> out;
    const auto& records = j[key];
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& rec = records[i];
        const std::string where = key + "[" + std::to_string(i) + "]";
        if (!rec.is_object()) throw parse_error(file, 0, where, "an object", rec.dump());
        for (const auto& [k, v] : rec.items())
            if (std::find(t.columns.begin(), t.columns.end(), k) == t.columns.end())
                throw parse_error(file, 0, where + "." + k, "a known key", k);
        std::vector<std::string> held;  // the fields as text, alive while parsing
        try {
            out.push_back(parse([&](std::string_view c) -> std::string_view {
                const auto it = rec.find(std::string(c));
                if (it == rec.end() || it->is_null()) return {};
                held.push_back(it->is_string() ? it->get<std::string>() : it->dump());
                return held.back();
            }));
        } catch (const field_problem& p) {
            throw parse_error(file, 0, where + "." + p.field, p.expected, p.found);
        }
    }
    return out;
}

template <class Record, class Parse>
std::vector<Record> read_table(const fs::path& dir, const detail::table& t, bool required,
                               Parse parse) {
    const auto csv = dir / (std::string(t.name) + ".csv");
    const auto json = dir / (std::string(t.name) + ".json");
    const bool has_csv = fs::exists(csv), has_json = fs::exists(json);
    if (has_csv && has_json)
        throw parse_error(dir.string(), 0, std::string(t.name), "one of .csv and .json", "both");
    if (has_csv) return read_csv_table<Record>(csv, t, parse);
    if (has_json) return read_json_table<Record>(json, t, parse);
    if (required)
        throw parse_error(dir.string(), 0, std::string(t.name),
                          std::string(t.name) + ".csv or " + std::string(t.name) + ".json",
                          "no such file");
    return {};
}

template <class Record>
void write_table(const fs::path& dir, const detail::table& t, const std::vector<Record>& records,
                 bool json) {
    const auto csv_path = dir / (std::string(t.name) + ".csv");
    const auto json_path = dir / (std::string(t.name) + ".json");
    std::string out;
    if (json) {
        nlohmann::ordered_json j{{"format", json_format_name(t)}, {"version", 1}};
        auto& list = j[std::string(t.name)] = nlohmann::ordered_json::array();
        for (const auto& r : records) {
            const auto row = detail::row_of(r);
            nlohmann::ordered_json rec = nlohmann::ordered_json::object();
            for (std::size_t c = 0; c < t.columns.size(); ++c)
                if (!row[c].empty()) rec[std::string(t.columns[c])] = row[c];
            list.push_back(std::move(rec));
        }
        out = j.dump(1) + "\n";
    } else {
        std::vector<std::string> header(t.columns.begin(), t.columns.end());
        refmatch::detail::append_csv_row(out, header);
        for (const auto& r : records) refmatch::detail::append_csv_row(out, detail::row_of(r));
    }
    write_file_atomically(json ? json_path : csv_path, out);
    std::error_code ignored;
    fs::remove(json ? csv_path : json_path, ignored);
}

}  // namespace

referral_program load_referral_program(const fs::path& dir) {
    if (!fs::is_directory(dir))
        throw parse_error(dir.string(), 0, "", "a referral program directory", "no such directory");
    referral_program p;
    const auto rules = dir / "rules.json";
    if (fs::exists(rules)) {
        try {
            p.rules = detail::parse_rules(read_file(rules));
        } catch (const field_problem& e) {
            throw parse_error("rules.json", 0, e.field, e.expected, e.found);
        }
    }
    p.accounts = read_table<account>(dir, detail::accounts_table(), true, detail::account_of);
    p.referrals = read_table<referral>(dir, detail::referrals_table(), false, detail::referral_of);
    p.rewards = read_table<reward>(dir, detail::rewards_table(), false, detail::reward_of);
    p.overrides =
        read_table<check_override>(dir, detail::overrides_table(), false, detail::override_of);
    return p;
}

void save_referral_program(const referral_program& p, const fs::path& dir, bool json) {
    fs::create_directories(dir);
    write_file_atomically(dir / "rules.json", detail::format_rules(p.rules));
    write_table(dir, detail::accounts_table(), p.accounts, json);
    write_table(dir, detail::referrals_table(), p.referrals, json);
    write_table(dir, detail::rewards_table(), p.rewards, json);
    write_table(dir, detail::overrides_table(), p.overrides, json);
}

}  // namespace refmatch::referrals
