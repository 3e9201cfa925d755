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
struct score_weights;
enum class geography_level : std::uint8_t;
struct match_options;
struct score_components;
struct quota_state;
struct match_result;
enum class scan_kernel : std::uint8_t;
struct engine_options;
struct batch_options;
class match_cancelled;
struct snapshot_stats;
class engine;
struct gap_options;
struct score_quantiles;
struct prospect_coverage;
struct gap_cell;
struct gap_report;
}  // namespace refmatch
