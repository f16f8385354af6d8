// Format-string injection (CWE-134): an input handed to printf-family functions (C, PHP sprintf,
// Python %-formatting, Objective-C %@) reads or writes memory through its conversion
// specifications. Fires on what only an attack writes:
//   * a write conversion `%n` (`%hn`, `%2$hn`, `%.16705u%2$hn`): it stores to a pointer argument;
//   * a chain of three or more conversions with at most one separator byte between them
//     (`%x%x%x%x`, `%08x.%08x.%08x`, `%s%p%x%d`, `%@%@%@`): walking the stack;
//   * a field width or precision of 1000 or more (`%99999999999s`): an overflow or a crash.
// "50% off", "100%", "%d items" or a translation string with words between its conversions never
// fire. The input must already be decoded. Pure, allocation-free.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "format".
std::optional<Finding> detect_format_string(std::string_view decoded);

}  // namespace portcullis::rules
