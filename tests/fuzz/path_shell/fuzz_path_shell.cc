// libFuzzer target for detect_path / detect_shell, raw and after decoding: no crash, no
// out-of-bounds read (the input is copied to an exact-size heap buffer so ASan sees overreads),
// bounded recursion, and a finding always names its detector and reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "rules/decode/decoder.h"
#include "rules/path/path_detector.h"
#include "rules/shell/shell_detector.h"

namespace {

void check(std::string_view s) {
  using portcullis::rules::Detector;
  if (auto f = portcullis::rules::detect_path(s)) {
    if (f->detector != Detector::kPath || f->reason.empty()) std::abort();
  }
  if (auto f = portcullis::rules::detect_shell(s)) {
    if (f->detector != Detector::kShell || f->reason.empty() || f->context.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<char[]> exact(new char[size ? size : 1]);
  if (size) std::memcpy(exact.get(), data, size);
  std::string_view raw(exact.get(), size);
  check(raw);
  static portcullis::rules::Decoder decoder;
  portcullis::rules::DecodeOptions o;
  o.plus_as_space = true;
  o.json_escapes = true;
  check(decoder.decode(raw, o).text);
  return 0;
}
