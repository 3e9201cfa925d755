#pragma once
// CSV reading and writing shared by the loaders (private to refmatch::io).
//
// Reading is a strict RFC 4180 reader of its own (quoted fields, doubled quotes, embedded
// newlines, CRLF, LF or CR): it tracks the line where each row starts (for error messages), skips
// blank lines and a UTF-8 byte-order mark, and hands each row over as views into the text, so
// that reading a row allocates nothing.

#include <refmatch/error.hpp>
#include <refmatch/progress.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch::detail {

/// One data row: its fields and the line of the file where it starts (1-based). The fields view
/// the text being read (or the reader's buffer): they are valid during the callback only.
struct csv_row {
    std::size_t line = 0;
    std::vector<std::string_view> fields;
    /// Every byte of the row is printable ASCII (set by the reader): its fields need no UTF-8
    /// or control-character check.
    bool printable = false;
};

/// Parses `text` (named `file` in messages). The first non-blank row goes to `on_header`, each
/// later non-blank row to `on_row`. Throws parse_error for malformed CSV (an unterminated or
/// stray quote), naming the line where parsing stopped. Exceptions from the callbacks propagate.
/// `progress` gets the bytes parsed (stage `file`) every megabyte; false cancels (`cancelled`).
void read_csv(std::string_view text, const std::string& file,
              const std::function<void(csv_row&)>& on_header,
              const std::function<void(csv_row&)>& on_row, const progress_callback& progress = {});

/// Rejects a text that is UTF-16 (a byte-order mark FF FE or FE FF, or a NUL in its first two
/// bytes), naming the encoding and how to save the file instead. @throws parse_error (line 1).
void check_utf8_encoding(std::string_view text, const std::string& file);

/// A range of data rows of a CSV text: [begin, end), its first row starting on `first_line`.
struct csv_chunk {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t first_line = 1;
};

/// For reading one text on several threads: reads the header row (to `on_header`, as `read_csv`
/// does), then cuts the data rows into at most `parts` chunks of about equal size, each cut
/// right after a line feed outside any quoted field (after an even number of quotes). Reading
/// the chunks in order with `read_csv_chunk` gives the rows, lines and errors `read_csv` gives,
/// provided no earlier chunk had a row ended by a lone CR (see `read_csv_chunk`) or an error.
/// O(text) for the cuts (two counts of bytes). @throws parse_error as `read_csv` for the header.
[[nodiscard]] std::vector<csv_chunk> split_csv(std::string_view text, const std::string& file,
                                               const std::function<void(csv_row&)>& on_header,
                                               std::size_t parts);

/// Reads the rows of one chunk of `text` (from `split_csv`) to `on_row`, with `text` whole for
/// the line of an error. Returns false when a row ended by a lone CR, which lines count but line
/// feeds do not: the chunks after this one then have wrong first lines (read serially instead).
/// Progress, if asked for, is reported against the whole text. @throws parse_error as
/// `read_csv`.
bool read_csv_chunk(std::string_view text, const csv_chunk& chunk, const std::string& file,
                    const std::function<void(csv_row&)>& on_row,
                    const progress_callback& progress = {});

/// The first invalid UTF-8 position in `s`, or nullopt when it is valid (overlong forms,
/// surrogates and code points above U+10FFFF are invalid).
[[nodiscard]] std::optional<std::size_t> invalid_utf8(std::string_view s);

/// How many bytes of `s` equal `c`: the count of line feeds and quotes that cutting a large file
/// into chunks needs, eight bytes at a time.
[[nodiscard]] inline std::size_t count_byte(std::string_view s, char c) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, low7 = 0x7F7F7F7F7F7F7F7Full;
    const std::uint64_t pattern = static_cast<unsigned char>(c) * ones;
    std::size_t count = 0, i = 0;
    while (i + 8 <= s.size()) {
        // Bytes of `sums` count one each per word: at most 255 words before they are added up.
        std::uint64_t sums = 0;
        for (int k = 0; k < 255 && i + 8 <= s.size(); ++k, i += 8) {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            const std::uint64_t t = w ^ pattern;  // a zero byte where w has c
            // The high bit of each byte of ~(((t & low7) + low7) | t | low7) is set exactly
            // where that byte of t is zero (no carry leaves a byte).
            sums += (~(((t & low7) + low7) | t | low7)) >> 7;
        }
        const std::uint64_t pairs =
            (sums & 0x00FF00FF00FF00FFull) + ((sums >> 8) & 0x00FF00FF00FF00FFull);
        count += static_cast<std::size_t>((pairs * 0x0001000100010001ull) >> 48);
    }
    for (; i < s.size(); ++i) count += s[i] == c;
    return count;
}

/// The line (1-based) of byte `offset` of `text`, for a message about what is there.
[[nodiscard]] inline std::size_t line_of_offset(std::string_view text,
                                                std::size_t offset) noexcept {
    return 1 + count_byte(text.substr(0, std::min(offset, text.size())), '\n');
}

/// Whether every byte of `s` is printable ASCII (0x20-0x7E): valid UTF-8 without a control
/// character. Eight bytes at a time, since most fields of most files are.
[[nodiscard]] inline bool printable_ascii(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    // Per byte b of a word w: b < 0x20 sets the high bit of (b - 0x20) & ~b, b >= 0x7F that of
    // (b + 1) | b. A borrow or carry only ever spreads from a byte that is itself flagged.
    const auto bad = [](std::uint64_t w) {
        return (((w - 0x20 * ones) & ~w) | (w + ones) | w) & high;
    };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if (bad(w)) return false;
    }
    if (i == s.size()) return true;
    std::uint64_t w = 0x20 * ones;  // the tail, padded with spaces
    std::memcpy(&w, s.data() + i, s.size() - i);
    return !bad(w);
}

/// Whether `s` holds a control character other than tab, line feed and carriage return (a NUL
/// in a name, say): no field of a table may.
[[nodiscard]] inline bool has_control_character(std::string_view s) noexcept {
    bool bad = false;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        bad |= (u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0x7F;
    }
    return bad;
}

/// The expected text of a field that holds a control character.
inline constexpr std::string_view no_control_characters = "text without control characters";

/// How much of a bad input a message quotes: about this many bytes, then its size.
inline constexpr std::size_t printable_limit = 200;

/// `s` with every byte that is not printable ASCII or part of valid UTF-8 written as `\xNN`, for
/// showing bad input in a message; beyond `printable_limit` bytes, "... (N bytes in all)".
[[nodiscard]] std::string printable(std::string_view s);

/// What a file format says about one column.
struct column_spec {
    std::string_view name;
    bool required = false;
};

/// The header of a CSV file matched against the columns a format knows. Columns may come in any
/// order; an unknown, duplicate or missing required column is an error naming it.
class csv_columns {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    csv_columns(const std::string& file, const csv_row& header, std::span<const column_spec> specs);

    /// The position of a known column in the file, npos when the file does not have it.
    [[nodiscard]] std::size_t index(std::string_view name) const;
    [[nodiscard]] bool has(std::string_view name) const { return index(name) != npos; }
    [[nodiscard]] std::size_t width() const noexcept { return width_; }

    /// The field of `row` in column `name` ("" when the file lacks the column), checked for valid
    /// UTF-8. @throws parse_error naming file, line and column.
    [[nodiscard]] std::string_view get(const csv_row& row, std::string_view name) const;
    /// The same for the column at `index` (from `index(name)`), without looking it up.
    [[nodiscard]] std::string_view get(const csv_row& row, std::size_t index,
                                       std::string_view name) const;

    /// Checks the field count of a row. @throws parse_error.
    void check_width(const csv_row& row) const;

    [[nodiscard]] const std::string& file() const noexcept { return file_; }

private:
    std::string file_;
    std::vector<std::pair<std::string_view, std::size_t>> positions_;  // spec name -> column
    std::size_t width_ = 0;
};

/// Appends one field to `out`, quoted when it holds a comma, quote, CR or LF, or starts or ends
/// with a space (so it survives any reader).
void append_csv_field(std::string& out, std::string_view field);

/// Appends a row and CRLF.
void append_csv_row(std::string& out, std::span<const std::string> fields);

/// Strips ASCII spaces and tabs at both ends.
[[nodiscard]] std::string_view trim(std::string_view s);

}  // namespace refmatch::detail
