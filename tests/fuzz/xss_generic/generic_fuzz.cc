// libFuzzer target for detect_generic (XXE, SSTI/EL, Log4j lookups, JS injection): must never
// crash, hang or read out of bounds; checks that the Finding is well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/generic/generic_detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = portcullis::rules::detect_generic(in);
  if (f) {
    if (f->detector != portcullis::rules::Detector::kGeneric || f->context.empty() ||
        f->reason.empty() ||
        f->fingerprint().size() > portcullis::rules::Finding::kMaxFingerprint) {
      std::abort();
    }
  }
  return 0;
}
