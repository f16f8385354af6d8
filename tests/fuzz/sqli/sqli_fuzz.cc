// libFuzzer target: detect_sqli and the tokenizer on arbitrary bytes, in every context.
// Checks: no crash / UB (ASan+UBSan), tokens stay inside the input, progress is made.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/sqli/sql_tokenizer.h"
#include "rules/sqli/sqli_detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = portcullis::rules::detect_sqli(in);
  if (r && r->fingerprint().size() > portcullis::rules::Finding::kMaxFingerprint) std::abort();

  for (char q : {'\0', '\'', '"'}) {
    for (bool bs : {false, true}) {
      portcullis::rules::SqlTokenList list;
      portcullis::rules::tokenize_sql(in, {q, bs}, list);
      const char* prev_end = in.data();
      for (size_t i = 0; i < list.size; ++i) {
        std::string_view t = list.tokens[i].text;
        if (t.data() < in.data() || t.data() + t.size() > in.data() + in.size()) std::abort();
        if (t.data() < prev_end) std::abort();               // tokens are ordered, non-overlapping
        if (t.empty() && !(i == 0 && q != 0)) std::abort();  // every token consumes bytes
        prev_end = t.data() + t.size();
      }
    }
  }
  if (size < 512) {
    std::string out;
    portcullis::rules::explain_sqli(in, out);
  }
  return 0;
}
