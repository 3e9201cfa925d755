#pragma once
/// @file scan_kernel.hpp
/// The versions of the engine's inner loop (engine.hpp), and which this processor can run.

#include <refmatch/detail/engine/scan_kernels.hpp>

#include <cstdint>
#include <string_view>

namespace refmatch {

/// Which version of the inner loop runs. All give identical results; `automatic` picks the best
/// the processor supports (AVX-512, then AVX2, then scalar).
enum class scan_kernel : std::uint8_t { automatic, scalar, avx2, avx512 };

[[nodiscard]] inline std::string_view to_string(scan_kernel k) {
    switch (k) {
        case scan_kernel::scalar:
            return "scalar";
        case scan_kernel::avx2:
            return "avx2";
        case scan_kernel::avx512:
            return "avx512";
        default:
            return "automatic";
    }
}

/// True if this processor can run kernel `k` (`automatic` and `scalar` always can).
[[nodiscard]] inline bool scan_kernel_supported(scan_kernel k) {
#if REFMATCH_X86_SIMD
    switch (k) {
        case scan_kernel::avx2:
            return __builtin_cpu_supports("avx2");
        case scan_kernel::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl");
        default:
            return true;
    }
#else
    return k == scan_kernel::automatic || k == scan_kernel::scalar;
#endif
}

/// The kernel `automatic` resolves to on this processor.
[[nodiscard]] inline scan_kernel best_scan_kernel() {
    if (scan_kernel_supported(scan_kernel::avx512)) return scan_kernel::avx512;
    if (scan_kernel_supported(scan_kernel::avx2)) return scan_kernel::avx2;
    return scan_kernel::scalar;
}

}  // namespace refmatch
