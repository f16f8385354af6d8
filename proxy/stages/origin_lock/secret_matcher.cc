#include "proxy/stages/origin_lock/secret_matcher.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace portcullis::origin_lock {

SecretMatcher::SecretMatcher(std::string_view current, std::string_view previous) {
  if (!current.empty()) secrets_[num_++] = digest(current);
  if (!previous.empty()) secrets_[num_++] = digest(previous);
}

SecretMatcher::Digest SecretMatcher::digest(std::string_view text) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d.data());
  return d;
}

bool SecretMatcher::matches(std::string_view presented) const {
  if (num_ == 0) return false;
  const Digest p = digest(presented);
  // Non-short-circuit OR: both comparisons always run.
  int equal = 0;
  for (uint8_t i = 0; i < num_; ++i) {
    equal |= CRYPTO_memcmp(p.data(), secrets_[i].data(), p.size()) == 0 ? 1 : 0;
  }
  return equal != 0;
}

}  // namespace portcullis::origin_lock
