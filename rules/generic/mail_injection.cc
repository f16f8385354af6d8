#include "rules/generic/mail_injection.h"

#include <array>

#include "rules/base/ascii.h"

namespace portcullis::rules {
namespace {

using ascii::iequals;
using ascii::is_alpha;
using ascii::is_digit;
using ascii::istarts_with;
using ascii::lower;

bool all_digits(std::string_view v) {
  if (v.empty() || v.size() > 10) return false;
  for (char c : v) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Splits `line` at spaces into its first N words; returns how many were stored and sets `more`
// when words follow them.
template <size_t N>
size_t split_words(std::string_view line, std::array<std::string_view, N>& out, bool& more) {
  size_t n = 0, i = 0;
  more = false;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    if (n == N) {
      more = true;
      break;
    }
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    out[n++] = line.substr(i, j - i);
    i = j;
  }
  return n;
}

bool host_token(std::string_view v) {  // a domain or an address literal [1.2.3.4]
  if (v.empty() || v.size() > 255) return false;
  bool dot = false;
  for (char c : v) {
    if (c == '.') dot = true;
    if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':')) {
      return false;
    }
  }
  return dot || v.front() == '[';
}

bool imap_tag(std::string_view t) {  // RFC 9051 tag, as clients write them: letters and digits
  if (t.empty() || t.size() > 10) return false;
  bool letter = false, digit = false;
  for (char c : t) {
    if (is_alpha(c)) {
      letter = true;
    } else if (is_digit(c)) {
      digit = true;
    } else if (c != '.') {
      return false;
    }
  }
  return letter && digit;
}

bool imap_command(std::string_view w) {
  static constexpr std::array<std::string_view, 24> kCommands = {
      "login",  "authenticate", "select",  "examine", "create",     "delete",
      "rename", "subscribe",    "list",    "lsub",    "status",     "append",
      "check",  "close",        "expunge", "search",  "fetch",      "store",
      "copy",   "move",         "uid",     "logout",  "capability", "unsubscribe"};
  for (std::string_view c : kCommands) {
    if (iequals(w, c)) return true;
  }
  return false;
}

bool sasl_mechanism(std::string_view w) {
  static constexpr std::array<std::string_view, 8> kMechs = {
      "plain", "login", "cram-md5", "digest-md5", "xoauth2", "oauthbearer", "ntlm", "gssapi"};
  for (std::string_view m : kMechs) {
    if (iequals(w, m)) return true;
  }
  return false;
}

bool hex32(std::string_view v) {
  if (v.size() != 32) return false;
  for (char c : v) {
    if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'))) return false;
  }
  return true;
}

std::optional<Finding> found(std::string_view reason, std::string_view fp) {
  return make_finding(Detector::kGeneric, "mail", reason, fp);
}

std::optional<Finding> check_line(std::string_view line) {
  // SMTP envelope commands carry their own punctuation: `MAIL FROM:<`, `RCPT TO:<`.
  for (std::string_view cmd : {std::string_view("mail from:"), std::string_view("rcpt to:")}) {
    if (istarts_with(line, cmd)) {
      size_t k = cmd.size();
      while (k < line.size() && line[k] == ' ') ++k;
      if (k < line.size() && line[k] == '<') return found("SMTP command after a line break", cmd);
    }
  }
  std::array<std::string_view, 4> w;
  bool more = false;
  const size_t n = split_words(line, w, more);
  if (n < 2) return std::nullopt;
  if (n >= 2 && imap_tag(w[0]) && imap_command(w[1])) {
    return found("IMAP command after a line break", "tag CMD");
  }
  if (more) return std::nullopt;  // the SMTP and POP3 shapes below are whole lines
  if (n == 2 && (iequals(w[0], "helo") || iequals(w[0], "ehlo")) && host_token(w[1])) {
    return found("SMTP greeting after a line break", "EHLO");
  }
  if (iequals(w[0], "auth") && sasl_mechanism(w[1])) {
    return found("SMTP AUTH after a line break", "AUTH");
  }
  // POP3: the verb and its message numbers are the whole line.
  if ((n == 2 || n == 3) && all_digits(w[1]) && (n == 2 || all_digits(w[2]))) {
    // LIST is left out: "List 3" alone on a line is also a note to oneself.
    const bool one = iequals(w[0], "retr") || iequals(w[0], "dele") || iequals(w[0], "uidl");
    if ((n == 2 && one) || (n == 3 && iequals(w[0], "top"))) {
      return found("POP3 command after a line break", "RETR n");
    }
  }
  if (n == 3 && iequals(w[0], "apop") && hex32(w[2])) {
    return found("POP3 command after a line break", "APOP");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_mail_injection(std::string_view in) {
  size_t i = in.find_first_of("\r\n");
  while (i != std::string_view::npos) {
    while (i < in.size() && (in[i] == '\r' || in[i] == '\n')) ++i;
    size_t end = in.find_first_of("\r\n", i);
    std::string_view line = in.substr(i, end == std::string_view::npos ? end : end - i);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (auto f = check_line(line)) return f;
    i = end;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
