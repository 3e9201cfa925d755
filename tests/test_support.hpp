#pragma once
// Helpers several test files share (namespace refmatch::test_support).

#include <refmatch/date.hpp>
#include <refmatch/error.hpp>
#include <refmatch/io.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace refmatch::test_support {

/// Runs `f` and returns the message of the parse_error it throws ("" if none).
template <class F>
std::string parse_message(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const parse_error& e) {
        return e.what();
    }
    return "";
}

/// Read options naming the source in messages, collecting row errors into `errors` if given.
inline read_options named(std::string source, std::vector<parse_error>* errors = nullptr) {
    read_options o;
    o.source = std::move(source);
    o.errors = errors;
    return o;
}

/// Day n of a fixed stretch of days (day 0 is 2024-10-04), for tests that count days.
inline date day(int n) {
    return date{} + std::chrono::days(20000 + n);
}

}  // namespace refmatch::test_support
