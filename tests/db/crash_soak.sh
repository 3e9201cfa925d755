#!/bin/sh
# The kill -9 soak of the program database: the CI test's scenario with many more kills.
# A child records usage (single events and batches) and is killed at random moments; afterwards
# every acknowledged call must be in the database, whole, nothing half-written, integrity ok.
#
#   tests/db/crash_soak.sh [BUILD_DIR] [KILLS]      (defaults: build/release 1000)
#
# Not part of ctest (it takes minutes); docs/database.md gives its last result.
set -eu
build=${1:-build/release}
kills=${2:-1000}
REFMATCH_DB_KILLS=$kills exec "$build/tests/refmatch_db_tests" \
  --gtest_filter=DatabaseReliability.KillNineLosesNothingAcknowledged
