// SecretMatcher: constant-time check of the origin-lock shared secret header.
//
// Both the configured secrets and the presented value are hashed with SHA-256 and the fixed-size
// digests compared with CRYPTO_memcmp, so neither the position of the first differing byte nor the
// secret's length leaks through timing (a byte-wise early-exit compare lets an attacker recover
// the secret one byte at a time). During a rotation two secrets are accepted; both digests are
// always compared so the time does not tell which one matched.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace portcullis::origin_lock {

class SecretMatcher {
 public:
  using Digest = std::array<uint8_t, 32>;

  SecretMatcher() = default;  // no secret: matches nothing
  // `previous` may be empty (no rotation in progress).
  SecretMatcher(std::string_view current, std::string_view previous);

  bool configured() const { return num_ > 0; }
  bool rotating() const { return num_ > 1; }
  // True if `presented` equals the current or the previous secret. No allocation.
  bool matches(std::string_view presented) const;

  // SHA-256; false only if libcrypto fails.
  static bool digest(std::string_view text, Digest& out);

 private:
  std::array<Digest, 2> secrets_{};
  uint8_t num_ = 0;
  bool broken_ = false;
};

}  // namespace portcullis::origin_lock
