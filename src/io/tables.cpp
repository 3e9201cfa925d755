// Tables as CSV and JSON text and files: parse_*, format_*, load_*, save_*.

#include "io/csv.hpp"
#include "io/records.hpp"
#include "io/tables.hpp"

#include <refmatch/io.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace refmatch {
namespace detail {
namespace {

// Reports a table reader's progress as its stage `file`; a callback's false cancels the read.
void report_progress(const read_options& options, const std::string& file, std::size_t done,
                     std::size_t total) {
    if (options.progress) report(options.progress, {file, done, total}, "reading " + file);
}

using json = nlohmann::json;

std::string json_format_name(table_kind kind) {
    return "refmatch-" + std::string(name_of(kind));
}

// One JSON value of a record as text (see records.hpp): strings as they are, numbers in their
// JSON spelling, null as "", lists joined with ';'.
std::string flatten_value(const flat_record& r, std::string_view key, const json& value) {
    switch (value.type()) {
        case json::value_t::null:
            return "";
        case json::value_t::string: {
            const auto& text = value.get_ref<const std::string&>();
            if (has_control_character(text))
                throw r.fail(key, std::string(no_control_characters), text);
            return text;
        }
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return value.dump();
        case json::value_t::array: {
            std::string out;
            std::size_t i = 0;
            for (const auto& item : value) {
                std::string text;
                const std::string item_field = std::string(key) + "[" + std::to_string(i++) + "]";
                if (item.is_string()) {
                    text = item.get<std::string>();
                    if (has_control_character(text))
                        throw r.fail(item_field, std::string(no_control_characters), text);
                } else if (key == "consents" && item.is_object()) {
                    // {"activity": "case_study", "max_uses": 2, "window_days": 365,
                    //  "cooldown_days": 90}; any limit key makes it a personal limit.
                    bool limited = false;
                    std::string limit[3] = {"-", "365", "0"};
                    for (const auto& [k, v] : item.items()) {
                        std::size_t slot = 3;
                        if (k == "activity") {
                            if (!v.is_string())
                                throw r.fail(item_field + ".activity", "a string", v.dump());
                            text = v.get<std::string>() + text;
                            continue;
                        }
                        if (k == "max_uses") slot = 0;
                        if (k == "window_days") slot = 1;
                        if (k == "cooldown_days") slot = 2;
                        if (slot == 3)
                            throw r.fail(item_field,
                                         "only the keys activity, max_uses, window_days, "
                                         "cooldown_days",
                                         "unknown key " + k);
                        if (!v.is_null() && !v.is_number_unsigned() && !v.is_number_integer())
                            throw r.fail(item_field + "." + k, "a whole number", v.dump());
                        limited = true;
                        if (!v.is_null()) limit[slot] = v.dump();
                    }
                    if (limited) text += ":" + limit[0] + "/" + limit[1] + "/" + limit[2];
                } else {
                    throw r.fail(item_field, "a string", item.dump());
                }
                if (text.find(';') != std::string::npos)
                    throw r.fail(item_field, "an item without ';'", text);
                if (!out.empty()) out += ';';
                out += text;
            }
            return out;
        }
        default:
            throw r.fail(key, "a string, a number or a list", value.dump());
    }
}

// Field values as JSON when writing: numbers as numbers, lists as arrays, empty fields left out.
void put_json_field(json& object, std::string_view name, const std::string& text) {
    static const std::vector<std::string_view> whole = {"size_band",   "nps",           "max_uses",
                                                        "window_days", "cooldown_days", "uses"};
    static const std::vector<std::string_view> real = {"csat", "health", "deal_value", "amount"};
    const std::string key(name);
    if (text.empty()) {
        if (name == "max_uses") object[key] = nullptr;  // no limit, said explicitly
        return;
    }
    if (std::find(whole.begin(), whole.end(), name) != whole.end()) {
        object[key] = std::stoull(text);
    } else if (std::find(real.begin(), real.end(), name) != real.end()) {
        // from_chars, not stod: stod rejects the subnormal numbers a reader accepts (1e-310).
        double x = 0;
        std::from_chars(text.data(), text.data() + text.size(), x);
        object[key] = x;
    } else if (name == "products" || name == "exclusions") {
        json list = json::array();
        std::size_t start = 0;
        while (start <= text.size()) {
            const auto cut = text.find(';', start);
            list.push_back(text.substr(start, cut - start));
            if (cut == std::string::npos) break;
            start = cut + 1;
        }
        object[key] = std::move(list);
    } else if (name == "consents") {
        json list = json::array();
        std::size_t start = 0;
        while (start <= text.size()) {
            const auto cut = text.find(';', start);
            const std::string item = text.substr(start, cut - start);
            const auto colon = item.find(':');
            json consent = {{"activity", item.substr(0, colon)}};
            if (colon != std::string::npos) {
                const auto s1 = item.find('/', colon);
                const auto s2 = item.find('/', s1 + 1);
                const std::string max = item.substr(colon + 1, s1 - colon - 1);
                consent["max_uses"] = max == "-" ? json(nullptr) : json(std::stoull(max));
                consent["window_days"] = std::stoull(item.substr(s1 + 1, s2 - s1 - 1));
                consent["cooldown_days"] = std::stoull(item.substr(s2 + 1));
            }
            list.push_back(std::move(consent));
            if (cut == std::string::npos) break;
            start = cut + 1;
        }
        object[key] = std::move(list);
    } else {
        object[key] = text;
    }
}

// How deep a table's JSON may nest: a record is three levels down and a consent five; far
// deeper input is rejected before it is built (deep values would exhaust the stack where they
// are copied, compared or quoted).
constexpr std::size_t max_json_depth = 32;

// Builds the document of a JSON text as nlohmann's own parser does, but stops with a parse_error
// naming the line and the path of the value at fault for a syntax error, a number out of the
// range of a double (`1e400`) or nesting deeper than `max_json_depth`.
class bounded_json_reader {
public:
    bounded_json_reader(json& doc, std::string_view text, const std::string& file)
        : dom_(doc, true), text_(text), file_(file) {}

    bool null() { return value() && dom_.null(); }
    bool boolean(bool b) { return value() && dom_.boolean(b); }
    bool number_integer(json::number_integer_t n) { return value() && dom_.number_integer(n); }
    bool number_unsigned(json::number_unsigned_t n) { return value() && dom_.number_unsigned(n); }
    bool number_float(json::number_float_t x, const json::string_t& s) {
        return value() && dom_.number_float(x, s);
    }
    bool string(json::string_t& s) { return value() && dom_.string(s); }
    bool binary(json::binary_t& b) { return value() && dom_.binary(b); }
    bool start_object(std::size_t n) { return open(false) && dom_.start_object(n); }
    bool key(json::string_t& k) {
        frames_.back().key = k;
        return dom_.key(k);
    }
    bool end_object() {
        frames_.pop_back();
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return open(true) && dom_.start_array(n); }
    bool end_array() {
        frames_.pop_back();
        return dom_.end_array();
    }
    bool parse_error(std::size_t position, const std::string& token,
                     const nlohmann::detail::exception& e) {
        std::string what = e.what();
        // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..."
        if (const auto colon = what.find(": "); colon != std::string::npos)
            what = what.substr(colon + 2);
        const bool range = e.id == 406;  // "number overflow parsing '1e400'"
        fail(position, range ? "a number within the range of a double" : "valid JSON",
             range ? token : what, false);
        return false;
    }

    /// The error that stopped the parse, if any.
    std::optional<refmatch::parse_error> error;

private:
    struct frame {
        bool array = false;
        std::size_t index = 0;  // of the element being read
        bool started = false;
        std::string key;
    };

    bool value() {
        if (!frames_.empty() && frames_.back().array) {
            auto& f = frames_.back();
            if (f.started) ++f.index;
            f.started = true;
        }
        return true;
    }
    bool open(bool array) {
        value();
        if (frames_.size() >= max_json_depth) {
            fail(position_hint(),
                 "JSON nested at most " + std::to_string(max_json_depth) + " levels deep",
                 "deeper nesting", true);
            return false;
        }
        frames_.push_back({array, 0, false, {}});
        return true;
    }
    // The line of a nesting error: the deepest '[' or '{' opened so far is not known by offset,
    // so count brackets from the start until the limit is passed.
    std::size_t position_hint() const {
        std::size_t depth = 0;
        bool in_string = false;
        for (std::size_t i = 0; i < text_.size(); ++i) {
            const char c = text_[i];
            if (in_string) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    in_string = false;
            } else if (c == '"') {
                in_string = true;
            } else if (c == '[' || c == '{') {
                if (++depth > max_json_depth) return i;
            } else if (c == ']' || c == '}') {
                --depth;
            }
        }
        return text_.size();
    }
    // The path of the value being read: "references[3].nps". `inner`: the failing value is a
    // container already counted as begun.
    std::string path(bool inner) const {
        std::string out;
        for (std::size_t i = 0; i < frames_.size(); ++i) {
            const auto& f = frames_[i];
            const bool last = i + 1 == frames_.size();
            if (f.array)
                out +=
                    "[" + std::to_string(last && !inner && f.started ? f.index + 1 : f.index) + "]";
            else if (!f.key.empty())
                out += (out.empty() ? "" : ".") + f.key;
        }
        return out;
    }
    void fail(std::size_t position, std::string expected, std::string_view found, bool inner) {
        if (error) return;
        error.emplace(file_, detail::line_of_offset(text_, position ? position - 1 : 0),
                      path(inner), std::move(expected), printable(found));
    }

    nlohmann::detail::json_sax_dom_parser<json> dom_;
    std::string_view text_;
    const std::string& file_;
    std::vector<frame> frames_;
};

void read_json_table(table_kind kind, std::string_view text, const std::string& file,
                     const std::function<void(flat_record&)>& on_record,
                     const std::function<void(const parse_error&)>& on_error) {
    check_utf8_encoding(text, file);
    json doc;
    {
        bounded_json_reader reader(doc, text, file);
        if (!json::sax_parse(text.begin(), text.end(), &reader) || reader.error) {
            if (reader.error) throw *reader.error;
            throw parse_error(file, 0, "", "valid JSON", "an incomplete document");
        }
    }
    const std::string format_name = json_format_name(kind);
    const std::string key(name_of(kind));
    if (!doc.is_object())
        throw parse_error(file, 0, "", "a JSON object with format, version and " + key,
                          printable(doc.dump()));
    for (const auto& [k, v] : doc.items())
        if (k != "format" && k != "version" && k != key)
            throw parse_error(file, 0, "", "only the keys format, version, " + key,
                              "unknown key " + k);
    const auto format = doc.find("format");
    if (format == doc.end() || !format->is_string() || format->get<std::string>() != format_name)
        throw parse_error(file, 0, "format", "\"" + format_name + "\"",
                          format == doc.end() ? std::string() : printable(format->dump()));
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer() ||
        version->get<long long>() != json_format_version)
        throw parse_error(file, 0, "version",
                          "format version " + std::to_string(json_format_version),
                          version == doc.end() ? std::string() : printable(version->dump()));
    const auto rows = doc.find(key);
    if (rows == doc.end()) return;
    if (!rows->is_array())
        throw parse_error(file, 0, key, "a list of records", printable(rows->dump()));
    const auto specs = columns_of(kind);
    std::size_t i = 0;
    for (const auto& item : *rows) {
        flat_record r;
        r.file = &file;
        r.index = i;
        r.table = name_of(kind);
        r.prefix = key + "[" + std::to_string(i++) + "].";
        try {
            if (!item.is_object()) throw r.fail("", "a JSON object", item.dump());
            std::string unknown;
            r.owned.reserve(specs.size());  // each key once: the views into it stay put
            for (const auto& entry : item.items()) {
                const std::string& k = entry.key();
                const auto& v = entry.value();
                const auto spec = std::find_if(specs.begin(), specs.end(),
                                               [&](const column_spec& s) { return s.name == k; });
                if (spec == specs.end()) {
                    unknown += (unknown.empty() ? "" : ", ") + k;
                    continue;
                }
                r.owned.push_back(flatten_value(r, spec->name, v));
                r.fields.emplace_back(spec->name, r.owned.back());
            }
            if (!unknown.empty()) {
                std::string known;
                for (const auto& s : specs)
                    known += (known.empty() ? "" : ", ") + std::string(s.name);
                throw r.fail("", "only the keys " + known, "unknown keys " + unknown);
            }
        } catch (const parse_error& e) {
            on_error(e);
            continue;
        }
        on_record(r);
    }
}

// Turns the rows of a CSV file into records: one record reused for every row, its fields the
// file's known columns in spec order, viewing the row.
class csv_records {
public:
    csv_records(const std::string& file, const csv_row& header, std::span<const column_spec> specs)
        : columns_(file, header, specs) {
        record_.file = &file;
        for (const auto& s : specs)
            if (const auto i = columns_.index(s.name); i != csv_columns::npos) {
                record_.fields.emplace_back(s.name, std::string_view());
                positions_.push_back(i);
            }
    }
    /// The record of `row`. @throws parse_error for a wrong field count or invalid UTF-8.
    flat_record& of(const csv_row& row) {
        record_.line = row.line;
        columns_.check_width(row);
        if (row.printable) {  // the reader found it all printable ASCII: nothing to check
            for (std::size_t f = 0; f < positions_.size(); ++f)
                record_.fields[f].second = row.fields[positions_[f]];
            return record_;
        }
        for (std::size_t f = 0; f < positions_.size(); ++f) {
            auto& [name, value] = record_.fields[f];
            value = columns_.get(row, positions_[f], name);  // get() checks the UTF-8
        }
        return record_;
    }

private:
    csv_columns columns_;
    flat_record record_;
    std::vector<std::size_t> positions_;  // the column of each field of record_
};

}  // namespace

void read_table(table_kind kind, std::string_view text, file_format format,
                const read_options& options, const std::function<void(flat_record&)>& on_record) {
    const std::string file = options.source.empty() ? std::string("input") : options.source;
    const auto on_error = [&](const parse_error& e) {
        if (!options.errors) throw e;
        options.errors->push_back(e);
    };
    // Record-level errors are collected and reading goes on; file-level ones (syntax, header)
    // end the file.
    const auto guarded = [&](flat_record& r) {
        try {
            on_record(r);
        } catch (const parse_error& e) {
            on_error(e);
        }
    };
    try {
        if (format == file_format::json) {
            read_json_table(kind, text, file, guarded, on_error);
            report_progress(options, file, text.size(), text.size());
            return;
        }
        std::optional<csv_records> records;
        read_csv(
            text, file, [&](csv_row& header) { records.emplace(file, header, columns_of(kind)); },
            [&](csv_row& row) {
                flat_record* r = nullptr;
                try {
                    r = &records->of(row);
                } catch (const parse_error& e) {
                    on_error(e);
                    return;
                }
                guarded(*r);
            },
            options.progress);
    } catch (const parse_error& e) {
        if (!options.errors) throw;
        // Thrown by on_error itself only when not collecting; here a file-level error.
        options.errors->push_back(e);
    }
}

void read_table(table_kind kind, const table_columns& table, const read_options& options,
                const std::function<void(flat_record&)>& on_record) {
    const std::string file = options.source.empty() ? std::string("input") : options.source;
    const auto on_error = [&](const parse_error& e) {
        if (!options.errors) throw e;
        options.errors->push_back(e);
    };
    try {
        // The column names are a header on "line 0" (no line in messages).
        csv_row header;
        for (const auto& c : table) header.fields.push_back(c.name);
        const auto specs = columns_of(kind);
        const csv_columns columns(file, header, specs);
        const std::size_t rows = table.empty() ? 0 : table.front().values.size();
        for (const auto& c : table)
            if (c.values.size() != rows)
                throw parse_error(file, 0, c.name,
                                  std::to_string(rows) + " values as column " + table.front().name,
                                  std::to_string(c.values.size()) + " values");
        // The known columns in spec order, as the CSV reader puts them in a record.
        std::vector<std::pair<std::string_view, const std::vector<std::optional<std::string>>*>>
            used;
        for (const auto& s : specs)
            if (const auto i = columns.index(s.name); i != csv_columns::npos)
                used.emplace_back(s.name, &table[i].values);
        // One record reused for every row, its fields viewing the table's cells.
        flat_record r;
        r.file = &file;
        r.by_row = true;
        for (const auto& u : used) r.fields.emplace_back(u.first, std::string_view());
        constexpr std::size_t progress_rows = 65536;
        for (std::size_t row = 0; row < rows; ++row) {
            r.line = row + 1;
            bool valid = true;
            for (std::size_t f = 0; f < used.size(); ++f) {
                const auto& value = (*used[f].second)[row];
                std::string_view& field = r.fields[f].second;
                if (!value) {
                    field = {};  // a null cell reads as an empty field
                    continue;
                }
                // Most text is ASCII, valid as it is; only other text needs the full check.
                unsigned char bits = 0;
                for (const char c : *value) bits |= static_cast<unsigned char>(c);
                if ((bits & 0x80u) && invalid_utf8(*value)) {
                    on_error(parse_error(file, r.line, std::string(used[f].first), "valid UTF-8",
                                         printable(*value)));
                    valid = false;
                    break;
                }
                if (has_control_character(*value)) {
                    on_error(parse_error(file, r.line, std::string(used[f].first),
                                         std::string(no_control_characters), printable(*value)));
                    valid = false;
                    break;
                }
                field = *value;
            }
            if (valid) {
                try {
                    on_record(r);
                } catch (const parse_error& e) {
                    on_error(e);
                }
            }
            if ((row + 1) % progress_rows == 0 || row + 1 == rows)
                report_progress(options, file, row + 1, rows);
        }
    } catch (const parse_error& e) {
        if (!options.errors) throw;
        // Thrown by on_error itself only when not collecting; here a column error.
        options.errors->push_back(e);
    }
}

std::string write_table(
    table_kind kind, file_format format,
    const std::function<void(const std::function<void(const std::vector<std::string>&)>&)>& rows) {
    const auto specs = columns_of(kind);
    if (format == file_format::csv) {
        std::string out;
        std::vector<std::string> header;
        for (const auto& s : specs)
            if (s.name != "employees") header.emplace_back(s.name);
        append_csv_row(out, header);
        std::vector<std::string> written;
        rows([&](const std::vector<std::string>& fields) {
            written.clear();
            for (std::size_t i = 0; i < specs.size(); ++i)
                if (specs[i].name != "employees") written.push_back(fields[i]);
            append_csv_row(out, written);
        });
        return out;
    }
    json list = json::array();
    rows([&](const std::vector<std::string>& fields) {
        json object = json::object();
        for (std::size_t i = 0; i < specs.size(); ++i) {
            if (specs[i].name == "employees") continue;
            if (i == 0)
                object[std::string(specs[i].name)] = fields[i];
            else
                put_json_field(object, specs[i].name, fields[i]);
        }
        list.push_back(std::move(object));
    });
    json doc = {{"format", json_format_name(kind)},
                {"version", json_format_version},
                {std::string(name_of(kind)), std::move(list)}};
    return doc.dump(1) + "\n";
}

}  // namespace detail

using detail::flat_record;
using detail::table_kind;

file_format format_of(const std::filesystem::path& path) {
    const auto ext = detail::ascii_lower(path.extension().string());
    if (ext == ".csv") return file_format::csv;
    if (ext == ".json") return file_format::json;
    throw error("'" + path.string() + "': expected a .csv or .json file");
}

product_catalog parse_products(std::string_view text, file_format format,
                               const read_options& options) {
    product_catalog out;
    std::unordered_map<std::string, detail::record_place> seen;
    detail::read_table(table_kind::products, text, format, options, [&](flat_record& r) {
        auto p = detail::build_product(r);
        if (const auto [it, fresh] = seen.emplace(p.id, r.place()); !fresh)
            throw r.fail("id",
                         "a product id not used before (first on " + it->second.describe() + ")",
                         p.id);
        out.add(std::move(p));
    });
    return out;
}

quota_policy parse_quotas(std::string_view text, file_format format, activity_catalog& activities,
                          const read_options& options) {
    quota_policy out;
    // Register custom activities only once the whole table is good (all or nothing).
    activity_catalog staged = activities;
    std::unordered_map<std::string, detail::record_place> seen;
    detail::read_table(table_kind::quotas, text, format, options, [&](flat_record& r) {
        activity_catalog attempt = staged;
        const auto [id, limit] = detail::build_quota(r, attempt);
        const auto& name = attempt.name(id);
        if (const auto [it, fresh] = seen.emplace(name, r.place()); !fresh)
            throw r.fail("activity", "each activity once (first on " + it->second.describe() + ")",
                         name);
        staged = std::move(attempt);
        out.set(id, limit);
    });
    activities = std::move(staged);
    return out;
}

namespace {

std::size_t row_count(const table_columns& table) {
    return table.empty() ? 0 : table.front().values.size();
}

// --- Large CSV tables on several threads ---------------------------------------------------------
//
// The text is cut into chunks at row boundaries (see split_csv). Each chunk's thread turns its
// rows into records and hands them to `local(chunk, record)`, which builds what the table needs
// into the chunk's own container (it may throw parse_error for the record). Then, on the calling
// thread and in file order, `combine(chunk, record_errors, on_error)` takes each chunk's results:
// so checks across records (duplicate ids) and the order of errors are those of a serial read.

using detail::csv_chunk;
using detail::csv_records;
using detail::csv_row;

// One thread per core, each with at least 4 MiB of text.
std::size_t csv_parts(std::string_view text) {
    constexpr std::size_t min_chunk = std::size_t{4} << 20;
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    return std::min({cores, text.size() / min_chunk, std::size_t{16}});
}

template <class Chunk>
struct chunk_result {
    Chunk records;
    std::vector<parse_error> errors;  // of records, when collecting, in order
    std::optional<parse_error> last;  // the error that ended the chunk
    std::exception_ptr failure;       // anything else
    bool lines_ok = true;             // see read_csv_chunk
};

// Returns false, having read nothing, when the text is better read serially (small, or a row
// ended by a lone CR before the last chunk).
template <class Chunk, class Local, class Combine>
bool read_csv_parallel(table_kind kind, std::string_view text, const read_options& options,
                       Local&& local, Combine&& combine) {
    const std::size_t parts = csv_parts(text);
    if (parts < 2) return false;
    const std::string file = options.source.empty() ? std::string("input") : options.source;
    const auto on_error = [&](const parse_error& e) {
        if (!options.errors) throw e;
        options.errors->push_back(e);
    };
    std::optional<csv_records> header;
    std::vector<csv_chunk> chunks;
    try {
        chunks = detail::split_csv(
            text, file, [&](csv_row& h) { header.emplace(file, h, columns_of(kind)); }, parts);
    } catch (const parse_error& e) {
        on_error(e);  // a file-level error: the file ends here
        return true;
    }
    if (chunks.size() < 2) return false;

    std::vector<chunk_result<Chunk>> results(chunks.size());
    const auto work = [&](std::size_t i) {
        auto& out = results[i];
        csv_records records = *header;
        if constexpr (requires { out.records.expect(std::size_t{}); }) {
            // At most one row per line feed (and one after the last). The first chunk's room is
            // made for the rows of every chunk: its records can become the result as they are,
            // and the others' join them there (see `combine`).
            const auto& last = i == 0 ? chunks.back() : chunks[i];
            const auto rows = text.substr(chunks[i].begin, last.end - chunks[i].begin);
            out.records.expect(detail::count_byte(rows, '\n') + 1);
        }
        try {
            out.lines_ok = detail::read_csv_chunk(
                text, chunks[i], file,
                [&](csv_row& row) {
                    try {
                        local(out.records, records.of(row));
                    } catch (const parse_error& e) {
                        if (!options.errors) throw;
                        out.errors.push_back(e);
                    }
                },
                i == 0 ? options.progress : progress_callback{});
        } catch (const parse_error& e) {
            out.last = e;
        } catch (...) {
            out.failure = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 1; i < chunks.size(); ++i) threads.emplace_back(work, i);
        work(0);
    }
    for (std::size_t i = 0; i + 1 < results.size(); ++i) {
        const auto& r = results[i];
        if (r.failure || r.last) break;  // the chunks after it are not read
        if (!r.lines_ok) return false;
    }
    // How many records the chunks hold in all, for combine to make room for them at once.
    std::size_t total = 0;
    if constexpr (requires(const Chunk& c) { c.size(); })
        for (const auto& r : results) total += r.records.size();
    for (auto& r : results) {
        if (r.failure) std::rethrow_exception(r.failure);
        combine(r.records, r.errors, on_error, file, total);
        if (r.last) {
            on_error(*r.last);
            break;
        }
    }
    detail::report_progress(options, file, text.size(), text.size());
    return true;
}

// Converts to what `f()` returns: `emplace_back(made_by{f})` constructs that in its slot
// straight from the call, with no move.
template <class F>
struct made_by {
    F& f;
    operator std::invoke_result_t<F&>() const { return f(); }
};

// A chunk of records with the line each came from. `Records` is a vector of them, or a
// reference_batch that packs each as it is built. Its room is made for the rows its text can
// hold before it is read (`expect`), so that no record moves while the chunk fills.
template <class Records>
struct lined {
    std::vector<std::size_t> lines;
    Records records;
    bool ascending = true;  // each record's id after the one before (told while the chunk fills)

    void expect(std::size_t rows) {
        lines.reserve(rows);
        records.reserve(rows);
    }
    // Builds the record of `line` in its slot (`build()` returns it), with no move: a record
    // that fails to build adds nothing.
    template <class Build>
    void add(std::size_t line, Build&& build) {
        if constexpr (requires { records.emplace_back(build()); })
            records.emplace_back(made_by<std::remove_reference_t<Build>>{build});
        else
            records.push_back(build());
        lines.push_back(line);
        if (const auto n = records.size(); n > 1 && ascending)
            ascending = detail::id_of(records[n - 2]) < detail::id_of(records[n - 1]);
    }
    [[nodiscard]] std::size_t size() const noexcept { return records.size(); }
};

// Records of a chunk and its record errors, merged by line, to `accept(record, line)` and
// `on_error` in file order.
template <class Records, class Accept, class OnError>
void merge_by_line(lined<Records>& chunk, const std::vector<parse_error>& errors, Accept&& accept,
                   OnError&& on_error) {
    std::size_t e = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        const auto line = chunk.lines[i];
        for (; e < errors.size() && errors[e].line() < line; ++e) on_error(errors[e]);
        accept(chunk.records[i], line);
    }
    for (; e < errors.size(); ++e) on_error(errors[e]);
    chunk = lined<Records>();
}

// Records with unique ids, in file order: each id is checked against the ones before. Files
// written by refmatch list records in id order: while ids ascend, the one before is the only
// possible duplicate, and only where each record was is kept; the first id out of order builds
// the hash index of the ids so far.
template <class Records>
struct unique_records {
    explicit unique_records(const char* what) : noun(what) {}

    const char* noun;  // "reference", "prospect"
    Records out;
    // Where each of `out` was, while ids ascend: the lines of a chunk taken whole, then places.
    std::vector<std::size_t> whole_lines;
    std::vector<detail::record_place> places;
    std::unordered_map<std::string, detail::record_place> seen;
    bool ascending = true;

    void reserve(std::size_t rows) {
        out.reserve(rows);
        places.reserve(rows - std::min(rows, whole_lines.size()));
    }
    // The records of a chunk with no error among them: when their ids ascend after every id
    // so far (a file written by refmatch), they join the result as they are, with no record
    // copied: the first chunk's records become the result (its room was made for every chunk's)
    // and a later one's are moved in (a batch's bytes stay where they are). Their lines say
    // where each was. Returns false, having taken nothing, otherwise.
    bool take_whole(lined<Records>& chunk) {
        if (!chunk.ascending || !ascending || !places.empty()) return false;
        if (out.empty()) {
            out = std::move(chunk.records);
            whole_lines = std::move(chunk.lines);
        } else {
            if (chunk.size() &&
                !(detail::id_of(out[out.size() - 1]) < detail::id_of(chunk.records[0])))
                return false;
            if constexpr (requires { out.append(std::move(chunk.records)); })
                out.append(std::move(chunk.records));
            else
                out.insert(out.end(), std::make_move_iterator(chunk.records.begin()),
                           std::make_move_iterator(chunk.records.end()));
            whole_lines.insert(whole_lines.end(), chunk.lines.begin(), chunk.lines.end());
        }
        chunk = lined<Records>();
        return true;
    }
    [[nodiscard]] detail::record_place place_of(std::size_t i) const {
        if (i < whole_lines.size()) return {whole_lines[i], 0, {}, false};
        return places[i - whole_lines.size()];
    }
    template <class Record>
    void add(Record&& x, const flat_record& r) {
        const std::string_view id = detail::id_of(x);
        if (ascending) {
            if (out.empty() || detail::id_of(out[out.size() - 1]) < id) {
                places.push_back(r.place());
                out.push_back(std::forward<Record>(x));
                return;
            }
            if (detail::id_of(out[out.size() - 1]) == id)
                throw duplicate(id, r, place_of(out.size() - 1));
            ascending = false;
            seen.reserve(out.size() * 2);
            for (std::size_t i = 0; i < out.size(); ++i)
                seen.emplace(detail::id_of(out[i]), place_of(i));
            std::vector<std::size_t>().swap(whole_lines);
            std::vector<detail::record_place>().swap(places);
        }
        if (const auto [it, fresh] = seen.emplace(id, r.place()); !fresh)
            throw duplicate(id, r, it->second);
        out.push_back(std::forward<Record>(x));
    }
    parse_error duplicate(std::string_view id, const flat_record& r,
                          const detail::record_place& first) {
        return r.fail(
            "id",
            std::string("a ") + noun + " id not used before (first on " + first.describe() + ")",
            std::string(id));
    }
};

// A usage event of a record, checked against the program's references. `last_known`: the last
// id found known (files list a reference's uses together: each run of one id is looked up once).
detail::usage_view checked_usage(const flat_record& r, const vocabulary& vocab,
                                 const std::function<bool(std::string_view)>& known_reference,
                                 std::string& last_known) {
    const auto e = detail::read_usage_view(r, vocab);
    if (known_reference && e.reference_id != last_known) {
        if (!known_reference(e.reference_id))
            throw r.fail("reference_id", "a reference id of the program", e.reference_id);
        last_known.assign(e.reference_id);
    }
    return e;
}

// Reads records with unique ids: `build(flat_record&) -> T`, on several threads for a large CSV
// text. `rows`: the number of records when known in advance (0 otherwise), to size the results.
template <class Records, class Build>
Records read_unique(const char* noun, table_kind kind, std::string_view text, file_format format,
                    const read_options& options, Build&& build) {
    unique_records<Records> result(noun);
    if (format == file_format::csv &&
        read_csv_parallel<lined<Records>>(
            kind, text, options,
            [&](lined<Records>& chunk, flat_record& r) {
                chunk.add(r.line, [&] { return build(r); });
            },
            [&](lined<Records>& chunk, const std::vector<parse_error>& errors, const auto& on_error,
                const std::string& file, std::size_t total) {
                if (errors.empty() && result.take_whole(chunk)) return;
                result.reserve(total);
                flat_record r;  // where each record was, for messages
                r.file = &file;
                merge_by_line(
                    chunk, errors,
                    [&](auto&& x, std::size_t line) {
                        r.line = line;
                        try {
                            result.add(std::move(x), r);
                        } catch (const parse_error& e) {
                            on_error(e);
                        }
                    },
                    on_error);
            }))
        return std::move(result.out);
    detail::read_table(kind, text, format, options,
                       [&](flat_record& r) { result.add(build(r), r); });
    return std::move(result.out);
}

template <class Records, class Build>
Records read_unique(const char* noun, table_kind kind, const table_columns& table,
                    const read_options& options, Build&& build) {
    unique_records<Records> result(noun);
    result.reserve(row_count(table));
    detail::read_table(kind, table, options, [&](flat_record& r) { result.add(build(r), r); });
    return std::move(result.out);
}

// Usage events into `Events` (a vector of events or a batch), on several threads for a large
// CSV text; `append(events, more)` puts a chunk's events after the others.
template <class Events>
struct usage_chunk {
    Events events;
    std::string last_known;
    // A batch takes its events in groups (usage_batch::add_all looks their ids up together).
    detail::usage_rows pending;

    void add(const detail::usage_view& e) {
        if constexpr (std::is_same_v<Events, usage_batch>)
            pending.add(e, events);
        else
            events.push_back(e.event());
    }
    // Puts the pending events into the batch; before anything reads it.
    Events& finished() {
        if constexpr (std::is_same_v<Events, usage_batch>) pending.flush(events);
        return events;
    }
};

template <class Events, class Append>
Events read_usage(std::string_view text, file_format format, const vocabulary& vocab,
                  const read_options& options,
                  const std::function<bool(std::string_view)>& known_reference, Append&& append) {
    const auto add = [&](usage_chunk<Events>& chunk, const flat_record& r) {
        chunk.add(checked_usage(r, vocab, known_reference, chunk.last_known));
    };
    usage_chunk<Events> out;
    if (format == file_format::csv &&
        read_csv_parallel<usage_chunk<Events>>(
            table_kind::usage, text, options, add,
            [&](usage_chunk<Events>& chunk, const std::vector<parse_error>& errors,
                const auto& on_error, const std::string&, std::size_t) {
                append(out.events, std::move(chunk.finished()));
                for (const auto& e : errors) on_error(e);
            }))
        return std::move(out.events);
    detail::read_table(table_kind::usage, text, format, options,
                       [&](flat_record& r) { add(out, r); });
    return std::move(out.finished());
}

void append_events(std::vector<usage_event>& out, std::vector<usage_event>&& more) {
    if (out.empty()) {
        out = std::move(more);
        return;
    }
    out.insert(out.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
    std::vector<usage_event>().swap(more);
}

}  // namespace

std::vector<reference_customer> parse_references(std::string_view text, file_format format,
                                                 const vocabulary& vocab,
                                                 const read_options& options) {
    return read_unique<std::vector<reference_customer>>(
        "reference", table_kind::references, text, format, options,
        [&](const flat_record& r) { return detail::build_reference(r, vocab); });
}

std::vector<prospect> parse_prospects(std::string_view text, file_format format,
                                      const vocabulary& vocab, const read_options& options) {
    return read_unique<std::vector<prospect>>(
        "prospect", table_kind::prospects, text, format, options,
        [&](const flat_record& r) { return detail::build_prospect(r, vocab); });
}

std::vector<usage_event> parse_usage(std::string_view text, file_format format,
                                     const vocabulary& vocab, const read_options& options,
                                     const std::function<bool(std::string_view)>& known_reference) {
    return read_usage<std::vector<usage_event>>(text, format, vocab, options, known_reference,
                                                append_events);
}

namespace detail {
reference_batch parse_reference_batch(std::string_view text, file_format format,
                                      const vocabulary& vocab, const read_options& options) {
    return read_unique<reference_batch>(
        "reference", table_kind::references, text, format, options,
        [&](const flat_record& r) { return detail::build_reference(r, vocab); });
}

usage_batch parse_usage_batch(std::string_view text, file_format format, const vocabulary& vocab,
                              const read_options& options,
                              const std::function<bool(std::string_view)>& known_reference) {
    return read_usage<usage_batch>(
        text, format, vocab, options, known_reference,
        [](usage_batch& out, usage_batch&& more) { out.append(std::move(more)); });
}
}  // namespace detail

std::vector<reference_customer> parse_references(const table_columns& table,
                                                 const vocabulary& vocab,
                                                 const read_options& options) {
    return read_unique<std::vector<reference_customer>>(
        "reference", table_kind::references, table, options,
        [&](const flat_record& r) { return detail::build_reference(r, vocab); });
}

std::vector<prospect> parse_prospects(const table_columns& table, const vocabulary& vocab,
                                      const read_options& options) {
    return read_unique<std::vector<prospect>>(
        "prospect", table_kind::prospects, table, options,
        [&](const flat_record& r) { return detail::build_prospect(r, vocab); });
}

std::vector<usage_event> parse_usage(const table_columns& table, const vocabulary& vocab,
                                     const read_options& options,
                                     const std::function<bool(std::string_view)>& known_reference) {
    std::vector<usage_event> out;
    out.reserve(row_count(table));
    std::string last_known;
    detail::read_table(table_kind::usage, table, options, [&](flat_record& r) {
        out.push_back(checked_usage(r, vocab, known_reference, last_known).event());
    });
    return out;
}

std::string format_products(const product_catalog& products, file_format format) {
    return detail::write_table(table_kind::products, format, [&](const auto& emit) {
        for (const auto& p : products.products()) emit(detail::product_fields(p));
    });
}

std::string format_quotas(const quota_policy& quotas, const activity_catalog& activities,
                          file_format format) {
    return detail::write_table(table_kind::quotas, format, [&](const auto& emit) {
        for (std::uint16_t i = 0; i < activities.size(); ++i)
            emit(detail::quota_fields(activities.names()[i], quotas.limit(activity_id{i})));
    });
}

std::string format_references(std::span<const reference_customer> references,
                              const vocabulary& vocab, file_format format) {
    return detail::write_table(table_kind::references, format, [&](const auto& emit) {
        for (const auto& r : references) emit(detail::reference_fields(r, vocab));
    });
}

std::string format_prospects(std::span<const prospect> prospects, const vocabulary& vocab,
                             file_format format) {
    return detail::write_table(table_kind::prospects, format, [&](const auto& emit) {
        for (const auto& p : prospects) emit(detail::prospect_fields(p, vocab));
    });
}

std::string format_usage(std::span<const usage_event> events, const vocabulary& vocab,
                         file_format format) {
    return detail::write_table(table_kind::usage, format, [&](const auto& emit) {
        for (const auto& e : events) emit(detail::usage_fields(e, vocab));
    });
}

namespace {
read_options file_options(const std::filesystem::path& path, progress_callback progress = {}) {
    read_options o;
    o.source = path.filename().string();
    o.progress = std::move(progress);
    return o;
}
}  // namespace

product_catalog load_products(const std::filesystem::path& path) {
    return parse_products(read_file(path), format_of(path), file_options(path));
}
quota_policy load_quotas(const std::filesystem::path& path, activity_catalog& activities) {
    return parse_quotas(read_file(path), format_of(path), activities, file_options(path));
}
std::vector<reference_customer> load_references(const std::filesystem::path& path,
                                                const vocabulary& vocab,
                                                const progress_callback& progress) {
    return parse_references(read_file(path), format_of(path), vocab, file_options(path, progress));
}
std::vector<prospect> load_prospects(const std::filesystem::path& path, const vocabulary& vocab) {
    return parse_prospects(read_file(path), format_of(path), vocab, file_options(path));
}
std::vector<usage_event> load_usage(const std::filesystem::path& path, const vocabulary& vocab) {
    return parse_usage(read_file(path), format_of(path), vocab, file_options(path));
}

void save_products(const std::filesystem::path& path, const product_catalog& products) {
    write_file_atomically(path, format_products(products, format_of(path)));
}
void save_quotas(const std::filesystem::path& path, const quota_policy& quotas,
                 const activity_catalog& activities) {
    write_file_atomically(path, format_quotas(quotas, activities, format_of(path)));
}
void save_references(const std::filesystem::path& path,
                     std::span<const reference_customer> references, const vocabulary& vocab) {
    write_file_atomically(path, format_references(references, vocab, format_of(path)));
}
void save_prospects(const std::filesystem::path& path, std::span<const prospect> prospects,
                    const vocabulary& vocab) {
    write_file_atomically(path, format_prospects(prospects, vocab, format_of(path)));
}
void save_usage(const std::filesystem::path& path, std::span<const usage_event> events,
                const vocabulary& vocab) {
    write_file_atomically(path, format_usage(events, vocab, format_of(path)));
}

}  // namespace refmatch
