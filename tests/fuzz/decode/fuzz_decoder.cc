// libFuzzer target for the Decoder: no crash or sanitizer report on any input, output never
// longer than the (bounded) input, and the view stays inside the decoder's buffers or the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portcullis::rules::Decoder decoder;  // reused like a worker's decoder
  if (size == 0) return 0;
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  portcullis::rules::DecodeOptions o;
  o.plus_as_space = data[0] & 1;
  o.json_escapes = data[0] & 2;
  o.html_entities = !(data[0] & 4);
  o.max_rounds = static_cast<uint8_t>(1 + ((data[0] >> 3) & 3));
  o.max_input = (data[0] & 0x20) ? 64 : 64 * 1024;
  auto d = decoder.decode(raw, o);
  if (d.text.size() > raw.size() || d.text.size() > o.max_input) std::abort();
  unsigned sum = 0;
  for (char c : d.text) sum += static_cast<unsigned char>(c);  // ASan checks the whole view
  if (sum == 0xFFFFFFFFu) std::abort();                        // keeps the loop alive
  return 0;
}
