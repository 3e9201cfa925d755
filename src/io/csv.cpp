#include "io/csv.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace refmatch::detail {
namespace {

// Bytes that end an unquoted field's run of plain characters.
constexpr std::array<bool, 256> special_bytes = [] {
    std::array<bool, 256> t{};
    t[static_cast<unsigned char>(',')] = t[static_cast<unsigned char>('"')] = true;
    t[static_cast<unsigned char>('\r')] = t[static_cast<unsigned char>('\n')] = true;
    return t;
}();

// The position of the first special byte (see special_bytes) in data[pos, n), or n. Sixteen
// bytes at a time with SSE2, then eight at a time: a byte equal to c is a zero byte of w ^ c, and
// the lowest byte flagged by (v - 1s) & ~v is always a true zero (a borrow only spreads upwards
// from one), so the lowest flag of the four tests is the first special byte.
std::size_t plain_run_end(const char* data, std::size_t pos, std::size_t n) noexcept {
#if defined(__SSE2__)
    // Sixteen bytes at a time where the processor has SSE2 (every x86-64).
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    for (; pos + 16 <= n; pos += 16) {
        const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
        const __m128i found =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, comma), _mm_cmpeq_epi8(w, quote)),
                         _mm_or_si128(_mm_cmpeq_epi8(w, cr), _mm_cmpeq_epi8(w, lf)));
        if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(found)))
            return pos + static_cast<std::size_t>(std::countr_zero(mask));
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        const auto zero_bytes = [](std::uint64_t v) { return (v - ones) & ~v & high; };
        for (; pos + 8 <= n; pos += 8) {
            std::uint64_t w;
            std::memcpy(&w, data + pos, 8);
            const std::uint64_t found =
                zero_bytes(w ^ (',' * ones)) | zero_bytes(w ^ ('"' * ones)) |
                zero_bytes(w ^ ('\r' * ones)) | zero_bytes(w ^ ('\n' * ones));
            if (found) return pos + static_cast<std::size_t>(std::countr_zero(found)) / 8;
        }
    }
    while (pos < n && !special_bytes[static_cast<unsigned char>(data[pos])]) ++pos;
    return pos;
}

// Where a field of the current row is: in the text, or (a quoted field with doubled quotes) in
// the row's buffer of unescaped text.
struct field_place {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool unescaped = false;
};

// Where a range of rows ended.
struct rows_end {
    std::size_t pos = 0;
    std::size_t line = 0;
    bool lone_cr = false;  // a row ended by CR alone: lines no longer equal line feeds + 1
};

// Reads the rows of text[pos, end), the first starting on `line`, calling `on_row` for each
// non-blank one until it returns false.
//
// A strict RFC 4180 reader: quotes only around a whole field, doubled inside it; CR, LF and CRLF
// all end a row; spaces belong to fields. Rows that are empty or hold one empty field are
// skipped. `line` counts row ends plus the line feeds inside quoted fields. A stray quote is
// reported on the line where it is, an unterminated one on the line where it opens.
template <class OnRow>
rows_end read_rows(std::string_view text, std::size_t pos, std::size_t end, std::size_t line,
                   const std::string& file, OnRow&& on_row,
                   const progress_callback* progress = nullptr) {
    constexpr std::size_t progress_step = std::size_t{1} << 20;
    std::size_t next_progress = progress_step;
    const auto fail = [&](std::size_t offset) {
        throw parse_error(file, line_of_offset(text, offset), "",
                          "well-formed CSV (RFC 4180 quoting)", "a stray quote");
    };
    // Reported where the quote opens: the line of the end of the text is rarely the culprit's.
    const auto unterminated = [&](std::size_t offset) {
        throw parse_error(file, line_of_offset(text, offset), "",
                          "well-formed CSV (RFC 4180 quoting)",
                          "a quote opened here and never closed");
    };
    const char* const data = text.data();
    const std::size_t n = end;
    csv_row row;
    std::vector<field_place> places;
    std::string unescaped;
    bool lone_cr = false;
    while (pos < n) {
        places.clear();
        unescaped.clear();
        std::size_t embedded_newlines = 0;
        const std::size_t row_line = line;
        const std::size_t row_begin = pos;
        for (;;) {  // one field
            field_place f;
            if (data[pos] == '"') {
                const std::size_t opened = pos++;
                std::size_t from = pos;
                for (;;) {
                    const void* q = std::memchr(data + pos, '"', n - pos);
                    if (!q) unterminated(opened);
                    const auto at = static_cast<std::size_t>(static_cast<const char*>(q) - data);
                    embedded_newlines +=
                        static_cast<std::size_t>(std::count(data + pos, data + at, '\n'));
                    if (at + 1 < n && data[at + 1] == '"') {  // a doubled quote
                        if (!f.unescaped) {
                            f.unescaped = true;
                            f.offset = unescaped.size();
                        }
                        unescaped.append(data + from, at + 1 - from);
                        pos = from = at + 2;
                        continue;
                    }
                    if (f.unescaped) {
                        unescaped.append(data + from, at - from);
                        f.size = unescaped.size() - f.offset;
                    } else {
                        f.offset = from;
                        f.size = at - from;
                    }
                    pos = at + 1;
                    break;
                }
                if (pos < n && data[pos] != ',' && data[pos] != '\r' && data[pos] != '\n')
                    fail(pos);  // text after the closing quote
            } else {
                f.offset = pos;
                pos = plain_run_end(data, pos, n);
                if (pos < n && data[pos] == '"') fail(pos);  // a quote inside a plain field
                f.size = pos - f.offset;
            }
            places.push_back(f);
            if (pos < n && data[pos] == ',') {
                ++pos;
                if (pos < n) continue;
                places.push_back({pos, 0, false});  // "a," at the very end
            }
            break;
        }
        // Fields with doubled quotes view `unescaped`, not the row: they get their own checks.
        const bool printable_row = unescaped.empty() && printable_ascii(std::string_view(
                                                            data + row_begin, pos - row_begin));
        // The row's end: CR, LF, CRLF or the end of the text.
        if (pos < n) {
            if (data[pos] == '\r') {
                if (pos + 1 < n && data[pos + 1] == '\n')
                    ++pos;
                else
                    lone_cr = true;
            }
            ++pos;
            line += 1 + embedded_newlines;
        }
        if (progress && *progress && (pos >= next_progress || pos == n)) {
            report(*progress, {file, pos, text.size()}, "reading " + file);
            next_progress = (pos / progress_step + 1) * progress_step;
        }
        if (places.size() == 1 && places[0].size == 0) continue;  // blank
        row.line = row_line;
        row.printable = printable_row;
        row.fields.clear();
        for (const auto& f : places)
            row.fields.push_back(f.unescaped ? std::string_view(unescaped).substr(f.offset, f.size)
                                             : std::string_view(data + f.offset, f.size));
        if (!on_row(row)) break;
    }
    return {pos, line, lone_cr};
}

std::size_t bom_size(std::string_view text) {
    return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

// Where a header names the columns with another delimiter (a European-locale export writes ';'):
// the delimiter, or 0 when the fields look like comma-separated ones.
char other_delimiter(const csv_row& header, std::span<const column_spec> specs) {
    if (header.fields.size() != 1) return 0;
    for (const char d : {';', '\t', '|'}) {
        const std::string_view name = header.fields[0];
        const auto first = trim(name.substr(0, name.find(d)));
        if (name.find(d) == std::string_view::npos) continue;
        for (const auto& s : specs)
            if (s.name == first) return d;
    }
    return 0;
}

}  // namespace

void check_utf8_encoding(std::string_view text, const std::string& file) {
    const auto b = [&](std::size_t i) {
        return i < text.size() ? static_cast<unsigned char>(text[i]) : 1u;
    };
    const bool bom16 = (b(0) == 0xFF && b(1) == 0xFE) || (b(0) == 0xFE && b(1) == 0xFF);
    // Without a byte-order mark, UTF-16 text of ASCII letters has a NUL in every other byte.
    const bool nul16 = text.size() >= 2 && (b(0) == 0 || b(1) == 0) && b(0) != b(1);
    if (bom16 || nul16)
        throw parse_error(file, 1, "", "UTF-8 text",
                          "UTF-16 text (Excel's \"Unicode text\"): save the file as UTF-8 "
                          "(\"CSV UTF-8\")");
}

void read_csv(std::string_view text, const std::string& file,
              const std::function<void(csv_row&)>& on_header,
              const std::function<void(csv_row&)>& on_data, const progress_callback& progress) {
    check_utf8_encoding(text, file);
    bool header_seen = false;
    read_rows(
        text, bom_size(text), text.size(), 1, file,
        [&](csv_row& row) {
            if (!header_seen) {
                header_seen = true;
                on_header(row);
            } else {
                on_data(row);
            }
            return true;
        },
        &progress);
    if (!header_seen) throw parse_error(file, 1, "", "a header row", "an empty file");
}

std::vector<csv_chunk> split_csv(std::string_view text, const std::string& file,
                                 const std::function<void(csv_row&)>& on_header,
                                 std::size_t parts) {
    check_utf8_encoding(text, file);
    bool header_seen = false;
    const auto header_end =
        read_rows(text, bom_size(text), text.size(), 1, file, [&](csv_row& row) {
            header_seen = true;
            on_header(row);
            return false;
        });
    if (!header_seen) throw parse_error(file, 1, "", "a header row", "an empty file");
    std::vector<csv_chunk> out;
    if (header_end.lone_cr) parts = 1;  // lines would not be line feeds + 1: no cuts
    std::size_t begin = header_end.pos, line = header_end.line;
    // Counted from the beginning: a cut must come after an even number of quotes (outside any
    // quoted field), right after a line feed.
    std::size_t scanned = 0, quotes = 0, newlines = 0;
    const auto scan_to = [&](std::size_t to) {
        const auto part = text.substr(scanned, to - scanned);
        quotes += count_byte(part, '"');
        newlines += count_byte(part, '\n');
        scanned = to;
    };
    scan_to(begin);
    const std::size_t size = text.size() - begin;
    for (std::size_t k = 1; k < parts; ++k) {
        std::size_t cut = std::max(scanned, header_end.pos + size / parts * k);
        for (;;) {
            const auto lf = text.find('\n', cut);
            if (lf == std::string_view::npos) {
                cut = text.size();
                break;
            }
            scan_to(lf + 1);
            cut = lf + 1;
            if (quotes % 2 == 0) break;
        }
        if (cut >= text.size()) break;
        out.push_back({begin, cut, line});
        begin = cut;
        line = 1 + newlines;
    }
    out.push_back({begin, text.size(), line});
    return out;
}

bool read_csv_chunk(std::string_view text, const csv_chunk& chunk, const std::string& file,
                    const std::function<void(csv_row&)>& on_row,
                    const progress_callback& progress) {
    const auto end = read_rows(
        text, chunk.begin, chunk.end, chunk.first_line, file,
        [&](csv_row& row) {
            on_row(row);
            return true;
        },
        &progress);
    return !end.lone_cr;
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
        if (out.size() >= printable_limit) {  // a message quotes a bounded excerpt
            out += "... (" + std::to_string(s.size()) + " bytes in all)";
            break;
        }
        const auto rest = s.substr(i);
        const auto bad = invalid_utf8(rest);
        const std::size_t good = bad ? *bad : rest.size();
        for (std::size_t k = 0; k < good; ++k, ++i) {
            const auto c = static_cast<unsigned char>(rest[k]);
            if (out.size() >= printable_limit && (c & 0xC0u) != 0x80u) break;  // whole characters
            if (c < 0x20 || c == 0x7F) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02X", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        if (out.size() >= printable_limit) continue;
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
        const std::string_view name = header.fields[i];
        if (const auto bad = invalid_utf8(name))
            throw parse_error(file, header.line, "", "a header of valid UTF-8 column names",
                              printable(name));
        const auto spec = std::find_if(specs.begin(), specs.end(),
                                       [&](const column_spec& s) { return s.name == trim(name); });
        if (spec == specs.end()) {
            unknown.emplace_back(name);
            continue;
        }
        if (index(spec->name) != npos)
            throw parse_error(file, header.line, std::string(spec->name),
                              "each column once in the header",
                              "a second '" + std::string(name) + "' column");
        positions_.emplace_back(spec->name, i);
    }
    if (const char d = other_delimiter(header, specs))
        throw parse_error(file, header.line, "", "columns separated by ','",
                          std::string("columns separated by '") +
                              (d == '\t' ? "\\t" : std::string(1, d)) +
                              "' (a spreadsheet export in another locale): save the file with ',' "
                              "as the delimiter");
    if (!unknown.empty()) {
        std::string known;
        for (const auto& s : specs) known += (known.empty() ? "" : ", ") + std::string(s.name);
        // A bounded list: a header of a million columns gets a message of a few lines.
        constexpr std::size_t listed = 10;
        std::string found;
        for (std::size_t i = 0; i < unknown.size() && i < listed; ++i)
            found += (found.empty() ? "" : ", ") + printable(unknown[i]).substr(0, 40);
        if (unknown.size() > listed)
            found += " and " + std::to_string(unknown.size() - listed) + " more";
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
    return get(row, index(name), name);
}

std::string_view csv_columns::get(const csv_row& row, std::size_t i, std::string_view name) const {
    if (i == npos || i >= row.fields.size()) return {};
    const std::string_view field = row.fields[i];
    // Most rows and fields are printable ASCII, valid as they are: the reader's one pass over
    // the row (or one over the field) tells, and only the others get the full checks.
    if (row.printable || printable_ascii(field)) return field;
    if (invalid_utf8(field))
        throw parse_error(file_, row.line, std::string(name), "valid UTF-8", printable(field));
    if (has_control_character(field))
        throw parse_error(file_, row.line, std::string(name), std::string(no_control_characters),
                          printable(field));
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
