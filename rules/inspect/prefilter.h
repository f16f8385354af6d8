// Prefilter: a cheap, exact proof that a detector cannot fire on a decoded input, so the engine
// can skip it (the libinjection / Hyperscan "literal prefilter" idea). Most request inputs are
// plain words ("desc", "A-12", "gift wrap please") that no detector can flag, yet each detector
// tokenizes them in several sink contexts; one pass over the bytes builds a class mask, and each
// detector's rule below only lets the input through when a byte the detector needs is present.
//
// Exact, never approximate: every rule states the bytes without which the detector, as written
// today, has no path to a Finding (see prefilter.cc for the argument per detector). The
// equivalence over the whole corpus with and without the prefilter is a test
// (tests/rules/inspect/prefilter_test.cc); a detector change that breaks an argument must update
// its rule here.
#pragma once

#include <cstdint>
#include <string_view>

#include "rules/inputs/input.h"

namespace portcullis::rules {

// The subset of `candidates` (value detectors: sqli, shell, path, ssrf, nosql, proto, xss,
// generic) that may fire on `decoded`; the others are proven silent.
DetectorSet prefilter_detectors(std::string_view decoded, DetectorSet candidates);

}  // namespace portcullis::rules
