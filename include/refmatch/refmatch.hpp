#pragma once
/// @file refmatch.hpp
/// Umbrella header: includes every public header of the header-only library.

#include <refmatch/activity.hpp>
#include <refmatch/date.hpp>
#include <refmatch/engine.hpp>
#include <refmatch/error.hpp>
#include <refmatch/gaps.hpp>
#include <refmatch/match.hpp>
#include <refmatch/product_catalog.hpp>
#include <refmatch/program.hpp>
#include <refmatch/program_tables.hpp>
#include <refmatch/prospect.hpp>
#include <refmatch/prospect_store.hpp>
#include <refmatch/quota.hpp>
#include <refmatch/quota_state.hpp>
#include <refmatch/reference.hpp>
#include <refmatch/reference_batch.hpp>
#include <refmatch/reference_store.hpp>
#include <refmatch/size_band.hpp>
#include <refmatch/taxonomy.hpp>
#include <refmatch/usage_ledger.hpp>
#include <refmatch/version.hpp>
#include <refmatch/vocabulary.hpp>
