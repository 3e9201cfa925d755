#pragma once
/// @file fwd.hpp
/// Forward declarations of refmatch's public types, for headers of embedding applications that
/// only pass them around.

#include <cstdint>

namespace refmatch {
class error;
class parse_error;
class validation_error;
class not_found_error;
class taxonomy;
struct taxonomy_entry;
struct product;
class product_catalog;
class size_bands;
struct activity_id;
class activity_catalog;
struct quota_limit;
class quota_policy;
enum class reference_status : std::uint8_t;
struct advocacy_signals;
struct activity_consent;
struct reference_customer;
struct prospect;
struct resolved_codes;
struct vocabulary;
struct usage_event;
class usage_ledger;
struct stored_reference;
class reference_store;
struct stored_prospect;
class prospect_store;
struct program;
}  // namespace refmatch
