#include "proxy/stages/origin_lock/secret_matcher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace portcullis::origin_lock {

SecretMatcher::SecretMatcher(std::string_view current, std::string_view previous) {
  // A digest failure (no working libcrypto) leaves the matcher configured but failing closed.
  if (!current.empty()) broken_ |= !digest(current, secrets_[num_++]);
  if (!previous.empty()) broken_ |= !digest(previous, secrets_[num_++]);
}

bool SecretMatcher::digest(std::string_view text, Digest& out) {
  // OpenSSL 3's one-shot SHA256() fetches the algorithm on every call (about half the cost for a
  // short input): fetch once per process and reuse one context per thread.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> holder(EVP_MD_CTX_new(),
                                                                               EVP_MD_CTX_free);
  EVP_MD_CTX* ctx = holder.get();
  unsigned int len = 0;
  return md != nullptr && ctx != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
         EVP_DigestUpdate(ctx, text.data(), text.size()) == 1 &&
         EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
}

bool SecretMatcher::matches(std::string_view presented) const {
  Digest p{};
  if (num_ == 0 || broken_ || !digest(presented, p)) return false;
  // Non-short-circuit OR: both comparisons always run.
  int equal = 0;
  for (uint8_t i = 0; i < num_; ++i) {
    equal |= CRYPTO_memcmp(p.data(), secrets_[i].data(), p.size()) == 0 ? 1 : 0;
  }
  return equal != 0;
}

}  // namespace portcullis::origin_lock
