#pragma once
// The shipped e-mail domain lists embedded in refmatch::referrals (generated from
// src/data/referrals/ by cmake/embed_file.cmake).

#include <string_view>

namespace refmatch::detail {
std::string_view referrals_disposable_domains_txt();
std::string_view referrals_free_mail_domains_txt();
}  // namespace refmatch::detail
