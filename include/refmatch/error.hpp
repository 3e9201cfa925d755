#pragma once
/// @file error.hpp
/// The exception hierarchy of refmatch. Every error the library throws derives from
/// refmatch::error, so `catch (const refmatch::error&)` catches all of them.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace refmatch {

/// Root of every exception refmatch throws.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Input that does not have the expected shape: a file, a CSV row, a JSON value.
/// The message has the form `file:line: field 'f': expected <what>, got '<found>'`; each part is
/// also available separately. `line` is 1-based, 0 when the input has no lines (a JSON object
/// built in memory, say), and then the `line` part is left out of the message.
class parse_error : public error {
public:
    parse_error(std::string file, std::size_t line, std::string field, std::string expected,
                std::string found)
        : error(format(file, line, field, expected, found)),
          file_(std::move(file)),
          line_(line),
          field_(std::move(field)),
          expected_(std::move(expected)),
          found_(std::move(found)) {}

    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    [[nodiscard]] std::size_t line() const noexcept { return line_; }
    [[nodiscard]] const std::string& field() const noexcept { return field_; }
    [[nodiscard]] const std::string& expected() const noexcept { return expected_; }
    [[nodiscard]] const std::string& found() const noexcept { return found_; }

    /// The message parse_error uses, exposed so that reports can list errors in the same words.
    static std::string format(std::string_view file, std::size_t line, std::string_view field,
                              std::string_view expected, std::string_view found) {
        std::string out;
        if (!file.empty()) out.append(file);
        if (line != 0) {
            if (!out.empty()) out += ':';
            out += std::to_string(line);
        }
        if (!out.empty()) out += ": ";
        if (!field.empty()) {
            out += "field '";
            out.append(field);
            out += "': ";
        }
        out += "expected ";
        out.append(expected);
        out += ", got '";
        out.append(found);
        out += '\'';
        return out;
    }

private:
    std::string file_;
    std::size_t line_;
    std::string field_;
    std::string expected_;
    std::string found_;
};

/// A value that is well-formed but not allowed: negative weights, an unknown product in a
/// reference, a quota window of zero days.
/// When the error concerns one field of one record, `field()`, `expected()` and `found()` say
/// which and the message reads `<subject>: field 'f': expected <what>, got '<found>'`; a file
/// reader turns it into a parse_error carrying the file and line.
class validation_error : public error {
public:
    using error::error;
    validation_error(const std::string& subject, std::string field, std::string expected,
                     std::string found)
        : error(parse_error::format(subject, 0, field, expected, found)),
          field_(std::move(field)),
          expected_(std::move(expected)),
          found_(std::move(found)) {}

    [[nodiscard]] const std::string& field() const noexcept { return field_; }
    [[nodiscard]] const std::string& expected() const noexcept { return expected_; }
    [[nodiscard]] const std::string& found() const noexcept { return found_; }

private:
    std::string field_;
    std::string expected_;
    std::string found_;
};

/// A lookup by id or code that found nothing (`reference_store::at("R-404")`).
class not_found_error : public error {
public:
    using error::error;
};

}  // namespace refmatch
