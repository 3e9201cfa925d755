#include "io/csv.hpp"

#include <csv.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace refmatch::detail {
namespace {

// State shared with libcsv's C callbacks. The callbacks only collect; rows are handed to C++ code
// after csv_parse returns, so that no exception crosses the C library.
struct parse_state {
    std::vector<csv_row> pending;
    csv_row current;
    std::size_t line = 1;               // line where the next row starts
    std::size_t embedded_newlines = 0;  // newlines inside quoted fields of the current row
    int last_terminator = 0;
};

void on_field(void* data, std::size_t size, void* user) {
    auto& s = *static_cast<parse_state*>(user);
    const std::string_view field(data ? static_cast<const char*>(data) : "", data ? size : 0);
    s.embedded_newlines += static_cast<std::size_t>(std::count(field.begin(), field.end(), '\n'));
    s.current.fields.emplace_back(field);
}

void on_row(int terminator, void* user) {
    auto& s = *static_cast<parse_state*>(user);
    // With CSV_REPALL_NL the LF of a CRLF pair arrives as an empty row of its own.
    if (s.current.fields.empty() && terminator == '\n' && s.last_terminator == '\r') {
        s.last_terminator = '\n';
        return;
    }
    s.last_terminator = terminator;
    const std::size_t row_line = s.line;
    s.line += 1 + s.embedded_newlines;
    s.embedded_newlines = 0;
    const bool blank =
        s.current.fields.empty() || (s.current.fields.size() == 1 && s.current.fields[0].empty());
    if (blank) {
        s.current.fields.clear();
        return;
    }
    s.current.line = row_line;
    s.pending.push_back(std::move(s.current));
    s.current = csv_row{};
}

// Keep spaces: RFC 4180 says they are part of a field, and names must round-trip unchanged.
int no_space(unsigned char) {
    return 0;
}

struct parser_guard {
    csv_parser p{};
    parser_guard() {
        if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
            throw error("cannot initialise the CSV parser");
        csv_set_space_func(&p, no_space);
    }
    ~parser_guard() { csv_free(&p); }
    parser_guard(const parser_guard&) = delete;
    parser_guard& operator=(const parser_guard&) = delete;
};

std::size_t line_at(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<std::size_t>(std::count(
                   text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

}  // namespace

void read_csv(std::string_view text, const std::string& file,
              const std::function<void(csv_row&)>& on_header,
              const std::function<void(csv_row&)>& on_data, const progress_callback& progress) {
    const std::string_view all = text;
    std::size_t base = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
        base = 3;
    }
    parser_guard guard;
    parse_state state;
    bool header_seen = false;
    const auto deliver = [&] {
        for (auto& row : state.pending) {
            if (!header_seen) {
                header_seen = true;
                on_header(row);
            } else {
                on_data(row);
            }
        }
        state.pending.clear();
    };
    const auto fail = [&](std::size_t offset) {
        throw parse_error(file, line_at(all, offset), "", "well-formed CSV (RFC 4180 quoting)",
                          "a stray or unterminated quote");
    };

    constexpr std::size_t chunk = std::size_t{1} << 20;
    for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
        const std::size_t n = std::min(chunk, text.size() - pos);
        const std::size_t done =
            csv_parse(&guard.p, text.data() + pos, n, on_field, on_row, &state);
        if (done != n) fail(base + pos + done);
        deliver();
        if (progress) progress(base + pos + n, all.size());
    }
    if (csv_fini(&guard.p, on_field, on_row, &state) != 0) fail(all.size());
    deliver();
    if (!header_seen) throw parse_error(file, 1, "", "a header row", "an empty file");
}

std::optional<std::size_t> invalid_utf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    // Most text is ASCII: skip it eight bytes at a time.
    constexpr std::uint64_t high_bits = 0x8080808080808080ull;
    while (i + 8 <= n) {
        std::uint64_t word = 0;
        std::memcpy(&word, s.data() + i, 8);
        if (word & high_bits) break;
        i += 8;
    }
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + len > n) return i;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0u) != 0x80u) return i;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return std::nullopt;
}

std::string printable(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto rest = s.substr(i);
        const auto bad = invalid_utf8(rest);
        const std::size_t good = bad ? *bad : rest.size();
        for (std::size_t k = 0; k < good; ++k) {
            const auto c = static_cast<unsigned char>(rest[k]);
            if (c < 0x20 || c == 0x7F) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02X", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        i += good;
        if (bad) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i]));
            out += buf;
            ++i;
        }
    }
    return out;
}

csv_columns::csv_columns(const std::string& file, const csv_row& header,
                         std::span<const column_spec> specs)
    : file_(file), width_(header.fields.size()) {
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string& name = header.fields[i];
        if (const auto bad = invalid_utf8(name))
            throw parse_error(file, header.line, "", "a header of valid UTF-8 column names",
                              printable(name));
        const auto spec = std::find_if(specs.begin(), specs.end(),
                                       [&](const column_spec& s) { return s.name == trim(name); });
        if (spec == specs.end()) {
            unknown.push_back(name);
            continue;
        }
        if (index(spec->name) != npos)
            throw parse_error(file, header.line, std::string(spec->name),
                              "each column once in the header", "a second '" + name + "' column");
        positions_.emplace_back(spec->name, i);
    }
    if (!unknown.empty()) {
        std::string known;
        for (const auto& s : specs) known += (known.empty() ? "" : ", ") + std::string(s.name);
        std::string found;
        for (const auto& u : unknown) found += (found.empty() ? "" : ", ") + u;
        throw parse_error(file, header.line, "", "only the columns " + known,
                          (unknown.size() == 1 ? "unknown column " : "unknown columns ") + found);
    }
    std::string missing;
    for (const auto& s : specs)
        if (s.required && index(s.name) == npos)
            missing += (missing.empty() ? "" : ", ") + std::string(s.name);
    if (!missing.empty())
        throw parse_error(
            file, header.line, "",
            "the required columns " +
                [&] {
                    std::string all;
                    for (const auto& s : specs)
                        if (s.required) all += (all.empty() ? "" : ", ") + std::string(s.name);
                    return all;
                }(),
            "no column " + missing);
}

std::size_t csv_columns::index(std::string_view name) const {
    for (const auto& [n, i] : positions_)
        if (n == name) return i;
    return npos;
}

std::string_view csv_columns::get(const csv_row& row, std::string_view name) const {
    const std::size_t i = index(name);
    if (i == npos || i >= row.fields.size()) return {};
    const std::string& field = row.fields[i];
    if (invalid_utf8(field))
        throw parse_error(file_, row.line, std::string(name), "valid UTF-8", printable(field));
    return field;
}

void csv_columns::check_width(const csv_row& row) const {
    if (row.fields.size() != width_)
        throw parse_error(file_, row.line, "", std::to_string(width_) + " fields as in the header",
                          std::to_string(row.fields.size()) + " fields");
}

void append_csv_field(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' ' ||
                                           field.front() == '\t' || field.back() == '\t'));
    if (!quote) {
        out.append(field);
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

void append_csv_row(std::string& out, std::span<const std::string> fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        append_csv_field(out, fields[i]);
    }
    out += "\r\n";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace refmatch::detail
