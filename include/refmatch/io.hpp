#pragma once
/// @file io.hpp
/// Reading and writing refmatch data as CSV and JSON files (link refmatch::io). The formats are
/// described, with examples, in docs/data-formats.md.
///
/// Conventions of every loader here:
/// - Input is UTF-8 (a byte-order mark is skipped); CSV follows RFC 4180 with LF or CRLF line
///   ends; columns may come in any order; an unknown, duplicate or missing required column is an
///   error that names it.
/// - Errors are `parse_error`s naming the file, the line and the field:
///   `references.csv:17: field 'industry': expected a NAICS 2022 code, got 'Fintech'`.
/// - Loading is all-or-nothing: on an error nothing is returned or changed.
/// - Saving writes a temporary file in the target directory and renames it into place, so a
///   crash never leaves a half-written file.

#include <refmatch/error.hpp>
#include <refmatch/product_catalog.hpp>
#include <refmatch/program.hpp>
#include <refmatch/program_tables.hpp>
#include <refmatch/progress.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/taxonomy.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/vocabulary.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refmatch {

/// Parses a taxonomy from CSV text with the columns `code,title,parent` (any order) and an
/// optional `level` column that, when present, must equal each code's depth (a check that the
/// file's tree is the one its authors meant). `source` names the text in error messages.
/// `root_code`/`root_title` name the virtual root (see `taxonomy`), and `parent` may name it.
/// @throws parse_error naming source, line and field: malformed CSV, bad UTF-8, an empty or
///         duplicate code, an unknown parent, a cycle, a wrong level. Nothing is built then.
[[nodiscard]] taxonomy parse_taxonomy_csv(std::string_view text, std::string_view source,
                                          std::string root_code = {}, std::string root_title = {});

/// Reads a taxonomy CSV file (see `parse_taxonomy_csv`); messages name the file by its file name.
/// @throws parse_error, or error when the file cannot be read.
[[nodiscard]] taxonomy load_taxonomy_csv(const std::filesystem::path& path,
                                         std::string root_code = {}, std::string root_title = {});

/// Reads a whole file into memory. @throws error naming the file when it cannot be read.
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

/// Writes `contents` to `path` atomically: a temporary file in the same directory, flushed, then
/// renamed over the target. @throws error naming the file; the target is untouched then.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

/// The two file formats. A file's format follows from its extension (`.csv`, `.json`).
enum class file_format { csv, json };

/// The format of a path from its extension. @throws error for any other extension.
[[nodiscard]] file_format format_of(const std::filesystem::path& path);

/// The version of the JSON formats this library writes and reads; a JSON file carrying another
/// version is rejected.
inline constexpr int json_format_version = 1;

/// How to read one table.
struct read_options {
    /// The name of the input in messages (a file name). Empty: "input".
    std::string source;
    /// Optional progress reports (stage: `source`; bytes of CSV every megabyte, rows of frames);
    /// answering false cancels the read (`cancelled`).
    progress_callback progress;
    /// When set, every error is appended here and reading goes on with the next record; the
    /// result then holds only the records without errors. When null, the first error is thrown.
    std::vector<parse_error>* errors = nullptr;
};

// --- Tables as text ---------------------------------------------------------------------------
// parse_*: one table from text (CSV or JSON); every record is checked as the stores check it
// (codes known to the vocabulary, valid limits and ranges, ids unique within the table).
// format_*: the same table as text, readable by parse_*.
// **Complexity:** linear in the input. **Thread safety:** reentrant (no shared state).

/// The product catalogue: columns `id,name,family`.
/// @throws parse_error (unless `options.errors` collects).
[[nodiscard]] product_catalog parse_products(std::string_view text, file_format format,
                                             const read_options& options = {});
/// Quota policy: columns `activity,max_uses,window_days,cooldown_days`. Starts from the program
/// defaults (quota.hpp) and replaces the listed activities; an activity name not yet in
/// `activities` is registered there as a custom activity type.
[[nodiscard]] quota_policy parse_quotas(std::string_view text, file_format format,
                                        activity_catalog& activities,
                                        const read_options& options = {});
/// Reference customers: columns `id,name,industry,products,country,size_band,employees,status,
/// consents,nps,csat,health,owner,last_contact`.
[[nodiscard]] std::vector<reference_customer> parse_references(std::string_view text,
                                                               file_format format,
                                                               const vocabulary& vocab,
                                                               const read_options& options = {});
/// Prospects: columns `id,name,industry,products,country,size_band,employees,deal_value,stage,
/// activity,needed_by,exclusions,owner`.
[[nodiscard]] std::vector<prospect> parse_prospects(std::string_view text, file_format format,
                                                    const vocabulary& vocab,
                                                    const read_options& options = {});
/// Usage events: columns `reference_id,activity,opportunity_id,date`. When `known_reference` is
/// given, a reference id it rejects is an error.
[[nodiscard]] std::vector<usage_event> parse_usage(
    std::string_view text, file_format format, const vocabulary& vocab,
    const read_options& options = {},
    const std::function<bool(std::string_view)>& known_reference = {});

[[nodiscard]] std::string format_products(const product_catalog& products, file_format format);
/// Writes the limit of every activity of `activities` (custom ones included).
[[nodiscard]] std::string format_quotas(const quota_policy& quotas,
                                        const activity_catalog& activities, file_format format);
[[nodiscard]] std::string format_references(std::span<const reference_customer> references,
                                            const vocabulary& vocab, file_format format);
[[nodiscard]] std::string format_prospects(std::span<const prospect> prospects,
                                           const vocabulary& vocab, file_format format);
[[nodiscard]] std::string format_usage(std::span<const usage_event> events, const vocabulary& vocab,
                                       file_format format);

// --- Tables as columns ------------------------------------------------------------------------
// The same tables held in memory column by column (a DataFrame, say), read by the same record
// parser as text, so the checks and the messages are the files' ones. The header rules apply to
// the column names (unknown, duplicate or missing required columns are errors naming them). A
// record is named by its position: the error of row `i` (counted from 0) carries line `i + 1`,
// line 0 meaning a column error, and a message that refers to another record names it
// `row <i>`. `options.progress` reports rows done and total.
// **Complexity:** linear in the cells. **Thread safety:** reentrant (no shared state).

/// One column of a table: its name and one text per row, as a CSV field would hold it; an empty
/// optional (a null cell) reads as an empty field.
struct table_column {
    std::string name;
    std::vector<std::optional<std::string>> values;
};

/// A table as columns, in any order; every column has the same number of rows.
using table_columns = std::vector<table_column>;

/// References from columns (see `parse_references`).
/// @throws parse_error (unless `options.errors` collects): a bad column, columns of different
///         lengths, invalid UTF-8 or a bad record.
[[nodiscard]] std::vector<reference_customer> parse_references(const table_columns& table,
                                                               const vocabulary& vocab,
                                                               const read_options& options = {});
/// Prospects from columns (see `parse_prospects`). @throws parse_error as `parse_references`.
[[nodiscard]] std::vector<prospect> parse_prospects(const table_columns& table,
                                                    const vocabulary& vocab,
                                                    const read_options& options = {});
/// Usage events from columns (see `parse_usage`). @throws parse_error as `parse_references`.
[[nodiscard]] std::vector<usage_event> parse_usage(
    const table_columns& table, const vocabulary& vocab, const read_options& options = {},
    const std::function<bool(std::string_view)>& known_reference = {});

/// The record tables of a program held as columns (DataFrames, say); any may be absent. Each is
/// named in messages by its `*_name`.
struct program_columns {
    std::optional<table_columns> references, prospects, usage;
    std::string references_name = "references", prospects_name = "prospects", usage_name = "usage";
};

/// The columns counterpart of `read_program_tables`: references, prospects, then usage (whose
/// reference ids must name a row of the references table), each against `vocab` (its products
/// and activity types: the products and quota tables already read), with `quotas` the program's
/// defaults. With `errors` null the first error is thrown; with `errors` set every error is
/// appended, each table keeps its good rows, and usage is checked against the `id` of every row
/// of the references table, bad rows included (a bad reference is reported once).
/// **Complexity:** linear in the cells. **Thread safety:** reentrant.
[[nodiscard]] program_tables read_program_columns(const program_columns& columns,
                                                  std::shared_ptr<const vocabulary> vocab,
                                                  const quota_policy& quotas,
                                                  std::vector<parse_error>* errors = nullptr);

/// Every problem of a program's columns, in table order: `read_program_columns` collecting
/// errors, then, when every row reads, `program_tables::assemble`, whose validation_error (a
/// rule across tables) is one more error, its file "program". Empty: the columns make a program.
/// **Complexity:** linear in the cells. **Thread safety:** reentrant.
[[nodiscard]] std::vector<parse_error> check_program_columns(
    const program_columns& columns, std::shared_ptr<const vocabulary> vocab,
    const quota_policy& quotas);

// --- Tables as files --------------------------------------------------------------------------
// load_*: read a file (format from its extension; messages name the file by its file name).
// save_*: write a file atomically (temporary file + rename).

[[nodiscard]] product_catalog load_products(const std::filesystem::path& path);
[[nodiscard]] quota_policy load_quotas(const std::filesystem::path& path,
                                       activity_catalog& activities);
[[nodiscard]] std::vector<reference_customer> load_references(
    const std::filesystem::path& path, const vocabulary& vocab,
    const progress_callback& progress = {});
[[nodiscard]] std::vector<prospect> load_prospects(const std::filesystem::path& path,
                                                   const vocabulary& vocab);
[[nodiscard]] std::vector<usage_event> load_usage(const std::filesystem::path& path,
                                                  const vocabulary& vocab);

void save_products(const std::filesystem::path& path, const product_catalog& products);
void save_quotas(const std::filesystem::path& path, const quota_policy& quotas,
                 const activity_catalog& activities);
void save_references(const std::filesystem::path& path,
                     std::span<const reference_customer> references, const vocabulary& vocab);
void save_prospects(const std::filesystem::path& path, std::span<const prospect> prospects,
                    const vocabulary& vocab);
void save_usage(const std::filesystem::path& path, std::span<const usage_event> events,
                const vocabulary& vocab);

// --- Whole programs ---------------------------------------------------------------------------
// A program directory holds `products`, `quotas`, `references`, `prospects` and `usage` tables,
// each as `<name>.csv` or `<name>.json` (not both). `products` and `references` are required;
// without `quotas` the program defaults apply; `prospects` and `usage` may be absent (empty).
// The vocabulary is the standard one (shipped NAICS 2022 and UN M49, default size bands) with
// the program's products and the custom activities its quota table declares.

/// One table of a program to read: its name in messages (a file name), its format, and its text,
/// fetched only when its turn comes (so one table's text at a time is in memory).
struct table_source {
    std::string name;
    file_format format = file_format::csv;
    std::function<std::string()> text;
};

/// The tables of a program to read; any may be absent (see `read_program_tables`).
struct program_sources {
    std::optional<table_source> products, quotas, references, prospects, usage;
};

/// Reads the tables of a program in assembly order (program_tables.hpp): products, then the
/// quota table (which registers its custom activity types), which with `base`'s taxonomies, size
/// bands and activity types make the vocabulary; then references, prospects and usage against
/// it (the usage text is read before the prospects', so that a large program's prospects are not
/// held beside it; errors come in table order all the same). Usage events must name a reference
/// of the references table. An absent table is empty
/// (absent products: `base`'s catalogue; absent quotas: the program defaults). Every loader of
/// whole programs goes through here, then through `program_tables::assemble`.
///
/// With `errors` null the first error is thrown (parse_error naming the table, line and field;
/// error when a text cannot be fetched). With `errors` set, every error is appended (a text that
/// cannot be fetched is one error naming the table), each table keeps its good records, and
/// usage is checked against the ids of every row of the references table, bad rows included
/// (so one bad reference is reported once, not on each of its uses).
///
/// **Complexity:** linear in the texts. **Thread safety:** reentrant.
[[nodiscard]] program_tables read_program_tables(const program_sources& sources,
                                                 const vocabulary& base,
                                                 const progress_callback& progress = {},
                                                 std::vector<parse_error>* errors = nullptr);

/// The version of the serialised program state (`format_program_state`); a state of another
/// version is rejected.
inline constexpr int program_state_version = 2;

/// A program's tables as one self-contained byte string (what a Python pickle of a `Program`
/// holds): a versioned header, the taxonomies (the shipped ones by name, others as rows), size
/// bands and custom activity types, then the five tables as the JSON of this layer.
/// **Complexity:** linear in the records. **Thread safety:** reentrant.
[[nodiscard]] std::string format_program_state(const program_tables& tables);

/// Reads a state written by `format_program_state` (through `read_program_tables`, so the
/// records are validated as files are).
/// @throws parse_error naming "program state" for a state that is not one, or of another version
///         ("program state:1: field 'version': expected version 2, got '1'"), and the tables'
///         errors naming "pickled program".
[[nodiscard]] program_tables parse_program_state(std::string_view state);

/// Loads a program directory, all or nothing. Usage events must name references of the program.
/// **Complexity:** linear in the files' size (about 1 s per million references).
/// @throws parse_error naming file, line and field; error when a file cannot be read.
[[nodiscard]] std::unique_ptr<program> load_program(const std::filesystem::path& directory,
                                                    const progress_callback& progress = {});

/// Writes the five tables of a program into `directory` (created if needed) in `format`, each
/// file atomically; a file of the same table in the other format is removed afterwards. A code
/// that is an alias of the program's taxonomy unknown to the standard ones (`add_alias("UK",
/// ...)`) is written as the code it stands for, so that `load_program` reads the directory back.
void save_program(const program& p, const std::filesystem::path& directory,
                  file_format format = file_format::csv);

/// Checks a program directory and returns every error of every file (empty: the program loads),
/// its outcomes and materials library (`outcomes.csv`, `content.csv` or `.json`) included when
/// it has them. A file that cannot be read at all is reported as one error.
[[nodiscard]] std::vector<parse_error> check_program(const std::filesystem::path& directory);

/// Checks one table file and returns every error in it. The table kind comes from the file name
/// (`references.csv`, `usage.json`, `outcomes.csv`, `content.json`, ...); codes are checked
/// against the standard vocabulary with the products and quota table found beside the file, and
/// the reference ids of usage and content against the references beside it, when those files
/// exist. A directory is checked with `check_program`.
/// @throws error for a file name that names no table kind.
[[nodiscard]] std::vector<parse_error> check_file(const std::filesystem::path& path);

}  // namespace refmatch
