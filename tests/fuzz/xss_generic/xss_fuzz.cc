// libFuzzer target for detect_xss: must never crash, hang or read out of bounds, on any bytes
// (no terminator, embedded NULs). Also checks that the Finding is well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/xss/xss_detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = portcullis::rules::detect_xss(in);
  if (f) {
    if (f->detector != portcullis::rules::Detector::kXss || f->context.empty() ||
        f->reason.empty() ||
        f->fingerprint().size() > portcullis::rules::Finding::kMaxFingerprint) {
      std::abort();
    }
  }
  return 0;
}
