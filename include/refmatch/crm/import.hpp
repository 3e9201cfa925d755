#pragma once
/// @file crm/import.hpp
/// Importing a reference program from CRM exports (accounts, opportunities, opportunity products,
/// products) through a mapping. Link refmatch::io.
///
/// Accounts become references, prospects or plain accounts as the mapping's `role` says; every
/// opportunity becomes a prospect that takes the industry, country and size of its account
/// unless it has its own, and excludes its own account as a reference. The CRM's record ids are
/// kept as the references' and prospects' ids, so results can be sent back (crm/export.hpp).
///
/// The import is all or nothing: every row that cannot be mapped is reported (file, line,
/// column, value, what was expected, suggestions), and then nothing is imported, unless
/// `skip_bad_rows` is set: then those rows (and the opportunities of a rejected account, and the
/// opportunities with a rejected product line) are left out and listed in the report.

#include <refmatch/crm/mapping.hpp>
#include <refmatch/error.hpp>
#include <refmatch/io.hpp>
#include <refmatch/measurement/outcome.hpp>
#include <refmatch/program.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace refmatch::crm {

/// One export: CSV text or columns (a DataFrame), and the name messages give it.
struct crm_export {
    std::string source;
    std::variant<std::string, table_columns> data;

    /// Reads a CSV file; messages name it by its file name. @throws error when unreadable.
    [[nodiscard]] static crm_export from_file(const std::filesystem::path& path) {
        return {path.filename().string(), read_file(path)};
    }
    [[nodiscard]] static crm_export from_text(std::string source, std::string csv) {
        return {std::move(source), std::move(csv)};
    }
    /// Row `i` of columns is named line `i + 2` in messages (as if the header were line 1).
    [[nodiscard]] static crm_export from_columns(std::string source, table_columns columns) {
        return {std::move(source), std::move(columns)};
    }
};

/// The exports of one import; accounts or opportunities (or both) must be given.
struct crm_exports {
    std::optional<crm_export> accounts;
    std::optional<crm_export> opportunities;
    std::optional<crm_export> opportunity_products;
    /// The product catalogue. Without it, the catalogue is every distinct product the other
    /// exports name (compared without case), with the first spelling as its id.
    std::optional<crm_export> products;
};

struct import_options {
    /// Import the rows that map and list the others, instead of importing nothing.
    bool skip_bad_rows = false;
};

/// A cell (or a whole file, `line` 0 or 1) that could not be mapped.
struct row_problem {
    std::string file;
    std::size_t line = 0;
    std::string column;  ///< the export's column ("" for a problem of the whole row or file)
    std::string value;
    std::string expected;
    std::vector<std::string> suggestions;  ///< "52 Finance and Insurance", best first
    std::string reason;                    ///< short category for summaries: "unknown industry"

    /// `Accounts.csv:3: field 'Industry': expected ..., got 'Fintech'; did you mean 52 Finance
    /// and Insurance, 5239 Other Financial Investment Activities?`
    [[nodiscard]] std::string message() const;
};

/// A row left out of an import with `skip_bad_rows`: where it was, why, and its cells as read.
struct rejected_row {
    std::string file;
    std::size_t line = 0;
    std::string reason;  ///< the message of its first problem
    std::vector<std::string> fields;
};

/// What happened to the rows of one export.
struct file_summary {
    std::string file;
    std::string table;  ///< "accounts", "opportunities", "opportunity_products", "products"
    std::vector<std::string> header;
    std::size_t read = 0, mapped = 0, skipped = 0, rejected = 0;
};

/// The outcome of an import.
struct import_report {
    std::vector<file_summary> files;
    std::vector<row_problem> problems;  ///< every problem, in file and line order
    std::map<std::string, std::size_t> rejected_by_reason;  ///< rows, by their first reason
    std::vector<rejected_row> rejected;
    std::size_t references = 0, prospects = 0, products = 0;
    /// Opportunity outcomes imported, by `measurement::deal_status` (open, won, lost).
    std::array<std::size_t, 3> outcomes{};

    [[nodiscard]] std::size_t rows_read() const;
    [[nodiscard]] std::size_t rows_mapped() const;
    [[nodiscard]] std::size_t rows_rejected() const;
    /// A few lines: per file rows read, mapped, skipped and rejected; rejections by reason;
    /// what the program holds.
    [[nodiscard]] std::string summary() const;
    /// The rejected rows of `file` as CSV: the export's header plus `reject_reason`, so that
    /// they can be fixed and imported again.
    [[nodiscard]] std::string rejects_csv(const std::string& file) const;
};

/// Thrown when rows could not be mapped and `skip_bad_rows` is not set, or when an export as a
/// whole is unusable (a missing column, malformed CSV). The message lists the first problems;
/// `report()` has all of them.
class import_error : public error {
public:
    explicit import_error(import_report report);
    [[nodiscard]] const import_report& report() const noexcept { return report_; }

private:
    import_report report_;
};

struct import_result {
    std::unique_ptr<program> imported;
    import_report report;
    /// What became of the opportunities (the program's `outcomes.csv`), when the opportunities
    /// export has a column for the outcome, `is_won` or `is_closed`: every opportunity imported,
    /// the ones the mapping skips as prospects (closed won, closed lost) included. Empty
    /// otherwise. Their segment is the prospect's (the account's when the row has none).
    std::vector<measurement::opportunity_outcome> outcomes;
};

/// Imports a program from CRM exports through `m`.
/// **Complexity:** linear in the cells; each distinct industry, country or product text is
/// resolved once (about 1 s per million account rows, see docs/benchmarks.md).
/// **Thread safety:** reentrant.
/// @throws import_error (nothing is imported then).
[[nodiscard]] import_result import_crm(const crm_exports& exports, const mapping& m,
                                       const import_options& options = {});

}  // namespace refmatch::crm
