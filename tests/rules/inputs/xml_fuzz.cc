// libFuzzer target for XML body extraction (XmlTokenizer + Extractor::xml): no crash or
// sanitizer report on any input, and the documented bounds hold: locations start with
// "body.xml:" (or are "body") and never pass kMaxXmlLocation, at most max_inputs inputs, no
// input longer than the (possibly UTF-16-transcoded) document, and the work stays linear.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/inputs/extractor.h"

namespace {

class CheckingSink : public portcullis::rules::InputSink {
 public:
  explicit CheckingSink(size_t doc_size) : max_raw_(doc_size / 2 * 3 + 3) {}
  bool on_input(const portcullis::rules::Input& in) override {
    ++count;
    if (in.location != "body" && !in.location.starts_with("body.xml:")) std::abort();
    if (in.location.size() > portcullis::rules::kMaxXmlLocation) std::abort();
    if (in.raw.empty() || in.raw.size() > max_raw_) std::abort();
    unsigned sum = 0;  // ASan checks both views byte by byte
    for (char c : in.raw) sum += static_cast<unsigned char>(c);
    for (char c : in.location) sum += static_cast<unsigned char>(c);
    sink_ += sum;
    return true;
  }
  uint32_t count = 0;

 private:
  size_t max_raw_;
  unsigned sink_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portcullis::rules::Extractor extractor;  // reused like a worker's, scratch included
  if (size == 0) return 0;
  std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  portcullis::rules::ExtractLimits limits;
  limits.max_depth = (data[0] & 1) ? 3 : 32;
  limits.max_inputs = (data[0] & 2) ? 4 : 1024;
  const bool truncated = data[0] & 4;
  extractor.reset(limits);
  CheckingSink sink(doc.size());
  auto r = extractor.xml(doc, truncated, sink);
  if (sink.count > limits.max_inputs) std::abort();
  if (r.has(portcullis::rules::kExtractTooManyInputs) && sink.count != limits.max_inputs) {
    std::abort();
  }
  return 0;
}
