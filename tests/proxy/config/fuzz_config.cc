// libFuzzer target: any byte string given to the loader must produce a Config or an Error, never a
// crash, an escaped yaml-cpp exception or a hang; and an accepted Config must round-trip through
// to_yaml() to an equal Config (with URL credentials masked, as to_yaml() prints them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portcullis::config;
  using portcullis::Result;
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  Result<Config> r = load_config_string(yaml, "fuzz.yaml", no_env());
  if (!r.ok()) {
    if (r.error().reason.empty()) std::abort();  // every rejection must say why
    return 0;
  }
  Result<Config> back = load_config_string(to_yaml(*r), "fuzz.yaml", no_env());
  if (!back.ok() || !(*back == redact_secrets(*r))) std::abort();
  return 0;
}
