#pragma once
// Conversion between records (product, quota, reference, prospect, usage event) and their fields
// as text, shared by the CSV and JSON formats (private to refmatch::io).
//
// Both formats first turn one record of input into a `flat_record` (field name -> text; JSON
// arrays become ';'-joined lists), so that every check and every message is written once.

#include "io/csv.hpp"

#include <refmatch/error.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace refmatch::detail {

/// The kinds of table a program has, with their column specs (in the order files are written):
/// the program's five, and the two that live beside it (outcomes, the materials library).
enum class table_kind { products, quotas, references, prospects, usage, outcomes, content };

std::span<const column_spec> columns_of(table_kind kind);
/// "products", "quotas", ... (file stem and JSON array key).
std::string_view name_of(table_kind kind);

/// Where a record was: "line 5" (CSV), "references[3]" (JSON) or "row 4" (columns, whose line
/// is the row + 1), kept cheaply and described only when a message needs it.
struct record_place {
    std::size_t line = 0;
    std::size_t index = 0;
    std::string_view table;
    bool by_row = false;
    [[nodiscard]] std::string describe() const {
        if (by_row) return "row " + std::to_string(line - 1);
        return line ? "line " + std::to_string(line)
                    : std::string(table) + "[" + std::to_string(index) + "]";
    }
};

/// One input record as named text fields, with where it came from for messages.
struct flat_record {
    const std::string* file = nullptr;
    std::size_t line = 0;    // CSV line; 0 for JSON
    std::size_t index = 0;   // JSON: position in the table's array
    std::string_view table;  // JSON: the table's array key
    std::string prefix;      // JSON path of the record ("references[3]."); "" for CSV
    bool by_row = false;     // read from columns: line is the row + 1

    [[nodiscard]] record_place place() const { return {line, index, table, by_row}; }
    /// Field name -> text. The texts view the input (a CSV row, a database row, the columns of a
    /// frame) or `owned`: valid while the record is being read, which is all a reader needs, and
    /// no field is copied.
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    /// The texts a reader had to make (a JSON array joined into a list): reserved before they are
    /// added, so that the views into them stay put.
    std::vector<std::string> owned;

    /// The text of a field, "" when absent.
    [[nodiscard]] std::string_view get(std::string_view name) const;
    /// A parse_error for field `name` of this record.
    [[nodiscard]] parse_error fail(std::string_view name, std::string expected,
                                   std::string_view found) const;
    /// Turns a store's validation_error about this record into a parse_error.
    [[nodiscard]] parse_error fail(const validation_error& e) const;

private:
    // Where `get` starts looking: after the field it found last (one record is read by one
    // thread at a time).
    mutable std::size_t next_ = 0;
};

product build_product(const flat_record& r);
/// Registers a custom activity in `activities` when the name is new.
std::pair<activity_id, quota_limit> build_quota(const flat_record& r, activity_catalog& activities);
/// Parses and validates a reference against the vocabulary (as the store would).
reference_customer build_reference(const flat_record& r, const vocabulary& v);
prospect build_prospect(const flat_record& r, const vocabulary& v);
usage_event build_usage(const flat_record& r, const vocabulary& v);

/// A usage event as views of its record's fields (valid while the record is), for the readers
/// that gather events straight into a batch; `build_usage` is this with the ids copied.
struct usage_view {
    std::string_view reference_id;
    activity_id activity;
    std::string_view opportunity_id;
    date day;

    [[nodiscard]] usage_event event() const {
        return {std::string(reference_id), activity, std::string(opportunity_id), day};
    }
};
/// @throws parse_error as `build_usage` (they share the rules).
usage_view read_usage_view(const flat_record& r, const vocabulary& v);

/// Events gathered into a batch a group at a time (`usage_batch::add_all` then looks the ids of
/// a group up together), their ids copied into one buffer: the views of a record being read do
/// not outlive it. Call `flush` before the batch is read.
class usage_rows {
public:
    void add(const usage_view& e, usage_batch& out) {
        ids_ += e.reference_id;
        const auto reference_end = ids_.size();
        ids_ += e.opportunity_id;
        pending_.push_back({reference_end, ids_.size(), e.activity, e.day});
        if (pending_.size() == group) flush(out);
    }
    void flush(usage_batch& out);

private:
    static constexpr std::size_t group = 256;
    struct pending {
        std::size_t reference_end, opportunity_end;
        activity_id activity;
        date day;
    };
    std::string ids_;
    std::vector<pending> pending_;
    std::vector<usage_batch::row> rows_;
};

/// The fields of a record, as text, in `columns_of(kind)` order (what CSV writes).
std::vector<std::string> product_fields(const product& p);
std::vector<std::string> quota_fields(std::string_view activity, const quota_limit& q);
std::vector<std::string> reference_fields(const reference_customer& r, const vocabulary& v);
std::vector<std::string> prospect_fields(const prospect& p, const vocabulary& v);
std::vector<std::string> usage_fields(const usage_event& e, const vocabulary& v);

/// "case_study:2/365/90" (a consent with a personal limit) or "sales_call".
std::string format_consent(const activity_consent& c, const activity_catalog& activities);
/// Formats a double without trailing zeros, exactly enough to read back the same value.
std::string format_number(double x);

// The field rules of the program's tables, for the tables that live beside them (outcomes,
// content): one reading of sizes, dates and numbers.
/// `size_band` (a band number or its label) or, failing that, `employees`. @throws parse_error.
size_band size_field(const flat_record& r, const size_bands& sizes);
/// A date YYYY-MM-DD, nullopt when empty. @throws parse_error.
std::optional<date> date_field(const flat_record& r, std::string_view name);
/// A finite number, nullopt when the text is not one.
std::optional<double> number_text(std::string_view s);
/// A whole number ≥ 0, nullopt when the text is not one.
std::optional<std::uint64_t> count_text(std::string_view s);
/// `;`-separated list, each entry trimmed, empty entries dropped.
std::vector<std::string> list_of(std::string_view s);
/// The list joined with `;`.
std::string list_text(std::span<const std::string> items);

}  // namespace refmatch::detail
