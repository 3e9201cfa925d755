#pragma once
/// @file size_band.hpp
/// Company size bands (scoring.md): a company's headcount falls into band `0 .. B-1`.

#include <refmatch/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace refmatch {

/// A company size band, `0 .. size_bands::count()-1`; nullopt means unknown.
using size_band = std::optional<std::uint8_t>;

/// The band boundaries of a program. The default is scoring.md's six bands:
/// 1–49, 50–249, 250–999, 1,000–4,999, 5,000–19,999, 20,000+ employees.
///
/// **Thread safety:** immutable value; const members may be called concurrently.
class size_bands {
public:
    /// Bands from their lower bounds in employees, strictly increasing, the first one ≥ 0
    /// (at most 255 bands).
    explicit size_bands(std::vector<std::uint32_t> lower_bounds = {1, 50, 250, 1000, 5000, 20000})
        : lower_(std::move(lower_bounds)) {
        if (lower_.empty() || lower_.size() > 255)
            throw validation_error("size bands: expected 1 to 255 bands, got " +
                                   std::to_string(lower_.size()));
        for (std::size_t i = 1; i < lower_.size(); ++i)
            if (lower_[i] <= lower_[i - 1])
                throw validation_error("size bands: lower bounds must increase strictly");
    }

    /// B, the number of bands.
    [[nodiscard]] std::uint8_t count() const noexcept {
        return static_cast<std::uint8_t>(lower_.size());
    }
    [[nodiscard]] const std::vector<std::uint32_t>& lower_bounds() const noexcept { return lower_; }

    /// The band of a headcount; nullopt below the first bound.
    [[nodiscard]] size_band band_of(std::uint64_t employees) const {
        if (employees < lower_.front()) return std::nullopt;
        std::uint8_t b = 0;
        while (b + 1u < lower_.size() && employees >= lower_[b + 1u]) ++b;
        return b;
    }

    /// "1,000–4,999" style label of a band (ASCII hyphen).
    [[nodiscard]] std::string label(std::uint8_t band) const {
        const auto lo = std::to_string(lower_.at(band));
        if (band + 1u == lower_.size()) return lo + "+";
        return lo + "-" + std::to_string(lower_[band + 1u] - 1);
    }

    /// Size closeness `1 − |a − b| / (B − 1)`; 0 when either band is unknown; 1 when B is 1.
    [[nodiscard]] double closeness(size_band a, size_band b) const {
        if (!a || !b) return 0.0;
        if (count() == 1) return 1.0;
        const int diff = *a > *b ? *a - *b : *b - *a;
        return 1.0 - static_cast<double>(diff) / static_cast<double>(count() - 1);
    }

    bool operator==(const size_bands&) const = default;

private:
    std::vector<std::uint32_t> lower_;
};

}  // namespace refmatch
