// CRM import speed: account rows of a Salesforce Data Loader export through the shipped preset
// (industry crosswalk, country aliases, headcounts with thousands separators, products by name),
// against reading the same accounts already in refmatch's own references format (the baseline:
// the io loader with no mapping work).

#include <refmatch/crm/import.hpp>
#include <refmatch/io.hpp>
#include <refmatch/shipped_data.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <random>
#include <string>

namespace {

using namespace refmatch;

// Messy but valid values, as exports have them.
constexpr std::array<const char*, 8> industries = {"Banking",    "insurance ",        "Technology",
                                                   "",           "Manufacturing",     "Retail",
                                                   "Healthcare", "Telecommunications"};
constexpr std::array<const char*, 8> countries = {
    "Deutschland", "UK", "United States", "France", "España", "Österreich", "JP", "Schweiz"};
constexpr std::array<const char*, 8> naics = {"5221",  "524",   "5415", "",
                                              "31-33", "44-45", "62",   "517"};
constexpr std::array<const char*, 8> codes = {"DE", "GB", "US", "FR", "ES", "AT", "JP", "CH"};
constexpr std::array<const char*, 4> products = {"CRM", "Analytics", "CRM;Analytics",
                                                 "Commerce Cloud"};
constexpr std::array<const char*, 4> product_ids = {"crm", "analytics", "crm;analytics",
                                                    "commerce"};

struct accounts_data {
    std::string crm_csv;     // Salesforce columns and values
    std::string native_csv;  // the same accounts as refmatch references
};

const accounts_data& accounts(std::size_t n) {
    static std::size_t made = 0;
    static accounts_data data;
    if (made == n) return data;
    std::mt19937_64 rng(42);
    data.crm_csv =
        "\"Id\",\"Name\",\"Type\",\"Industry\",\"BillingCountry\",\"NumberOfEmployees\","
        "\"Products__c\"\n";
    data.native_csv = "id,name,industry,products,country,employees,status,consents\n";
    for (std::size_t i = 0; i < n; ++i) {
        const auto a = rng() % 8, c = rng() % 8, p = rng() % 4;
        const auto employees = 10 + rng() % 50000;
        const std::string id = "0015g" + std::to_string(1000000000 + i);
        const std::string name = "Company " + std::to_string(i);
        std::string headcount = std::to_string(employees);
        if (employees >= 1000) headcount.insert(headcount.size() - 3, ",");
        data.crm_csv += "\"" + id + "\",\"" + name + "\",\"Customer - Direct\",\"" + industries[a] +
                        "\",\"" + countries[c] + "\",\"" + headcount + "\",\"" + products[p] +
                        "\"\n";
        data.native_csv += id + "," + name + "," + naics[a] + "," + product_ids[p] + "," +
                           codes[c] + "," + std::to_string(employees) +
                           ",active,name_drop;logo_use;quote;success_story;case_study;sales_call\n";
    }
    made = n;
    return data;
}

void BM_CrmImport_SalesforceAccounts(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto& data = accounts(n);
    const auto mapping = crm::preset_mapping("salesforce");
    crm::crm_exports exports;
    exports.accounts = crm::crm_export::from_text("Accounts.csv", data.crm_csv);
    for (auto _ : state) {
        auto result = crm::import_crm(exports, mapping);
        benchmark::DoNotOptimize(result.imported->references.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_CrmImport_SalesforceAccounts)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Baseline: the same accounts as a references file, parsed and assembled into a program.
void BM_CrmImport_NativeReferences(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto& data = accounts(n);
    const auto vocab = standard_vocabulary(product_catalog(
        {{"crm", "CRM", ""}, {"analytics", "Analytics", ""}, {"commerce", "Commerce Cloud", ""}}));
    for (auto _ : state) {
        program p(vocab);
        p.references.add_all(parse_references(data.native_csv, file_format::csv, *vocab));
        benchmark::DoNotOptimize(p.references.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_CrmImport_NativeReferences)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
