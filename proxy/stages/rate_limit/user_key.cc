#include "proxy/stages/rate_limit/user_key.h"

#include <cstring>

#include "proxy/http/tokens.h"

namespace portcullis::rate_limit {
namespace {

constexpr size_t kMaxToken = 8192;

int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;  // '+' and '/' too: some issuers emit plain base64
  if (c == '_' || c == '/') return 63;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A minimal reader for one top-level JSON object: enough to find a key and skip any value.
struct Json {
  std::string_view s;
  size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  // Reads a string at s[i] == '"'; copies the unescaped-enough text (escapes other than \" \\ \/
  // make the string unusable as an id: returns ok but sets *plain = false).
  bool string(char* out, size_t cap, size_t* len, bool* plain) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    *len = 0;
    *plain = true;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') return true;
      if (c == '\\') {
        if (i >= s.size()) return false;
        char e = s[i++];
        if (e == '"' || e == '\\' || e == '/') {
          c = e;
        } else {
          *plain = false;
          if (e == 'u') i += 4;
          continue;
        }
      }
      if (*len < cap) {
        out[(*len)++] = c;
      } else {
        *plain = false;
      }
    }
    return false;
  }
  bool skip_value(int depth = 0) {
    ws();
    if (i >= s.size() || depth > 32) return false;
    char c = s[i];
    if (c == '"') {
      char scratch[1];
      size_t len;
      bool plain;
      return string(scratch, 0, &len, &plain);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++i;
      ws();
      if (i < s.size() && s[i] == close) {
        ++i;
        return true;
      }
      while (i < s.size()) {
        if (c == '{') {
          char scratch[1];
          size_t len;
          bool plain;
          ws();
          if (!string(scratch, 0, &len, &plain)) return false;
          ws();
          if (i >= s.size() || s[i] != ':') return false;
          ++i;
        }
        if (!skip_value(depth + 1)) return false;
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == close) {
          ++i;
          return true;
        }
        return false;
      }
      return false;
    }
    // number, true, false, null
    size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
      ++i;
    }
    return i > start;
  }
};

}  // namespace

bool base64url_decode(std::string_view in, char* out, size_t cap, size_t* out_len) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64val(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n >= cap) return false;
      out[n++] = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  *out_len = n;
  return true;
}

std::string_view jwt_claim(std::string_view token, std::string_view claim,
                           char (&out)[kMaxUserId]) {
  if (token.size() > kMaxToken) return {};
  size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return {};
  size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return {};
  std::string_view payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  char json[kMaxToken];
  size_t json_len = 0;
  if (!base64url_decode(payload, json, sizeof(json), &json_len)) return {};
  Json j{std::string_view(json, json_len)};
  j.ws();
  if (j.i >= j.s.size() || j.s[j.i] != '{') return {};
  ++j.i;
  while (true) {
    j.ws();
    char key[64];
    size_t key_len = 0;
    bool key_plain = false;
    if (!j.string(key, sizeof(key), &key_len, &key_plain)) return {};
    j.ws();
    if (j.i >= j.s.size() || j.s[j.i] != ':') return {};
    ++j.i;
    j.ws();
    if (key_plain && std::string_view(key, key_len) == claim) {
      if (j.i < j.s.size() && j.s[j.i] == '"') {
        size_t len = 0;
        bool plain = false;
        if (!j.string(out, kMaxUserId, &len, &plain) || !plain || len == 0) return {};
        return {out, len};
      }
      size_t start = j.i;
      if (!j.skip_value()) return {};
      std::string_view num = j.s.substr(start, j.i - start);
      bool numeric = !num.empty() && num.size() <= kMaxUserId;
      for (char c : num) numeric = numeric && ((c >= '0' && c <= '9') || c == '-');
      if (!numeric) return {};
      std::memcpy(out, num.data(), num.size());
      return {out, num.size()};
    }
    if (!j.skip_value()) return {};
    j.ws();
    if (j.i < j.s.size() && j.s[j.i] == ',') {
      ++j.i;
      continue;
    }
    return {};
  }
}

const std::string_view* find_header(const http::RequestHead& head, std::string_view name) {
  for (uint32_t i = 0; i < head.num_headers; ++i) {
    if (http::iequals(head.headers[i].name, name)) return &head.headers[i].value;
  }
  return nullptr;
}

std::string_view extract_user(const UserKeySettings& s, const http::RequestHead& head,
                              char (&out)[kMaxUserId]) {
  if (!s.header.empty()) {
    if (const std::string_view* v = find_header(head, s.header)) {
      std::string_view id = trim(*v);
      if (!id.empty() && id.size() <= kMaxUserId) {
        std::memcpy(out, id.data(), id.size());
        return {out, id.size()};
      }
    }
  }
  if (s.jwt_header.empty() || s.jwt_claim.empty()) return {};
  const std::string_view* v = find_header(head, s.jwt_header);
  if (v == nullptr) return {};
  std::string_view token = trim(*v);
  if (token.size() > 7 && http::iequals(token.substr(0, 7), "bearer "))
    token = trim(token.substr(7));
  return jwt_claim(token, s.jwt_claim, out);
}

}  // namespace portcullis::rate_limit
