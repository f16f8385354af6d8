// Explain: the false-positive tuning tool behind `portcullis explain`. For one input it prints
// the decoding (rounds, flags, decoded text), then each detector's verdict with its context,
// reason and fingerprint; the SQL detector adds its per-context token stream. Allocates; never
// on the data path.
#pragma once

#include <string>
#include <string_view>

#include "rules/inputs/input.h"

namespace portcullis::rules {

// Explains `input` for the detectors in `which` (and in input.detectors). Appends to `out`.
// Returns true when any detector fired.
bool explain_input(const Input& input, DetectorSet which, std::string& out);

// The decode flags as text ("percent double-encoded nul").
std::string decode_flags_text(uint32_t flags);

// Printable form of arbitrary bytes: \r \n \t \0 and other controls escaped as \xHH.
std::string printable(std::string_view s, size_t max = 512);

}  // namespace portcullis::rules
