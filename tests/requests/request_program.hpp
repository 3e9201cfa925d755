#pragma once
// The small program of the request tests (tests/requests_test.cpp and its child process): five
// references of one bank sector in the US, three opportunities, sales calls limited to 2 in 30
// days, case studies to 3 in 365 days with a 30-day cooldown, name drops self-serve and free.

#include <refmatch/db/database.hpp>
#include <refmatch/program.hpp>
#include <refmatch/requests/request_book.hpp>
#include <refmatch/shipped_data.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace refmatch::test_requests {

inline const date first_day = *parse_date("2026-03-02");

/// `first_day` at 09:00 UTC, plus `hours`.
inline std::chrono::sys_seconds at_hour(long hours) {
    return std::chrono::sys_seconds{first_day} + std::chrono::hours(9 + hours);
}

/// `who` acting at `at_hour(hour)`.
inline request_actor by(const std::string& who, long hour, std::string comment = "") {
    return {who, at_hour(hour), std::move(comment)};
}

/// A rep's ask for `wanted` references for `opportunity`, needed `due_in_days` after `first_day`.
inline new_request ask_for(const std::string& opportunity, activity_id a, int due_in_days,
                           std::uint32_t wanted = 1) {
    new_request r;
    r.requester = "rep";
    r.opportunity_id = opportunity;
    r.activity = a;
    r.wanted = wanted;
    r.needed_by = first_day + std::chrono::days(due_in_days);
    return r;
}

inline std::unique_ptr<program> small_program(std::uint32_t sales_calls = 2) {
    product_catalog products;
    products.add({"crm-01", "Customer Core", "crm"});
    products.add({"erp-01", "Enterprise Core", "erp"});
    auto prog = std::make_unique<program>(standard_vocabulary(std::move(products)));
    prog->quotas.set(activity::sales_call, {sales_calls, 30, 0});
    prog->quotas.set(activity::case_study, {3, 365, 30});
    prog->quotas.set(activity::name_drop, {std::nullopt, 365, 0});
    const char* owners[] = {"Ana", "Ben", "Ana", "Cleo", "Ben"};
    for (int i = 0; i < 5; ++i) {
        reference_customer r;
        r.id = std::string("R-") + static_cast<char>('A' + i);
        r.name = "Reference " + r.id;
        r.industry = i % 2 ? "5221" : "522110";
        r.products = i % 3 ? std::vector<std::string>{"crm-01"}
                           : std::vector<std::string>{"crm-01", "erp-01"};
        r.country = "US";
        r.size = static_cast<std::uint8_t>(i % 4);
        r.status = reference_status::active;
        r.owner = owners[i];
        r.consents = {{activity::name_drop, std::nullopt},
                      {activity::sales_call, std::nullopt},
                      {activity::case_study, std::nullopt}};
        prog->references.add(std::move(r));
    }
    for (int i = 1; i <= 3; ++i) {
        prospect p;
        p.id = "P-" + std::to_string(i);
        p.name = "Prospect " + p.id;
        p.industry = "5221";
        p.products = {"crm-01", "erp-01"};
        p.country = "US";
        p.size = 2;
        p.owner = "Rep " + std::to_string(i);
        prog->prospects.add(std::move(p));
    }
    return prog;
}

/// A new database file at `path` holding `small_program(sales_calls)`.
inline void create_small_database(const std::filesystem::path& path,
                                  std::uint32_t sales_calls = 2) {
    database_options o;
    o.create = true;
    database db(path, o);
    db.import_program(*small_program(sales_calls), {"setup", at_hour(0)});
}

}  // namespace refmatch::test_requests
