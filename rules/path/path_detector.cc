#include "rules/path/path_detector.h"

#include <array>
#include <cctype>
#include <cstddef>
#include <cstring>

namespace portcullis::rules {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_sep(char c) { return c == '/' || c == '\\'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Characters that end a path-like token inside a larger input: blanks, quotes and the
// delimiters of the usual carriers (HTML attributes, query strings, JSON, shell words).
constexpr bool ends_token_switch(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case '"':
    case '\'':
    case '`':
    case '<':
    case '>':
    case '=':
    case '&':
    case '(':
    case ')':
    case ',':
    case '|':
      return true;
    default:
      return false;
  }
}

// The same as a table: detect_plain() asks for every byte of every input.
constexpr std::array<bool, 256> kEndsToken = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = ends_token_switch(static_cast<char>(c));
  return t;
}();
inline bool ends_token(char c) { return kEndsToken[static_cast<unsigned char>(c)]; }

template <size_t N>
bool in_list(std::string_view s, const std::array<std::string_view, N>& list) {
  for (auto item : list)
    if (item.size() == s.size() && iequals(s, item)) return true;  // length first: no call
  return false;
}

// Top-level directories whose content an application never serves from user input. Unix FHS,
// container app roots (/app, /code, as Zen), macOS roots.
constexpr std::array<std::string_view, 29> kSystemRoots = {
    "bin",    "boot",  "dev",     "etc",  "home", "lib",     "lib64",        "media",
    "mnt",    "opt",   "proc",    "root", "run",  "sbin",    "srv",          "sys",
    "tmp",    "usr",   "var",     "app",  "code", "private", "Applications", "Library",
    "System", "Users", "Volumes", "init", "snap"};

// Windows roots reached as "\x" or "X:\x".
constexpr std::array<std::string_view, 12> kWindowsRoots = {
    "windows",  "winnt",   "program files", "program files (x86)", "documents and settings",
    "users",    "inetpub", "xampp",         "programdata",         "boot.ini",
    "system32", "wamp"};

// Files that are the goal of a traversal whatever directory they are reached from.
constexpr std::array<std::string_view, 21> kSensitiveFiles = {
    "php.ini",    "httpd.conf",      "my.cnf",        "my.ini",
    ".htaccess",  "boot.ini",        "win.ini",       "system.ini",
    ".htpasswd",  "id_rsa",          "id_dsa",        "id_ecdsa",
    "id_ed25519", "authorized_keys", ".bash_history", "web.config",
    "sam",        "wp-config.php",   ".ssh",          ".aws",
    "shadow"};

// After "etc": the files attackers read to prove a traversal (/etc/passwd is the canonical one).
constexpr std::array<std::string_view, 15> kEtcFiles = {
    "passwd",  "shadow", "hosts", "issue",       "group",    "master.passwd", "sudoers", "hostname",
    "crontab", "fstab",  "motd",  "resolv.conf", "security", "apache2",       "httpd"};

constexpr std::array<std::string_view, 7> kWindowsChildren = {
    "system32", "win.ini", "system.ini", "repair", "panther", "debug", "system"};

enum class SegKind { kSkip, kDot, kParent, kName };

// "0x2e" / "0x2f" / "0x5c": hex-literal spellings of '.', '/' and '\' used by traversal
// fuzzers (dotdotpwn) against decoders that accept C-style escapes.
size_t hex_literal(std::string_view s, size_t i, char which) {
  if (i + 4 > s.size() || s[i] != '0' || lower(s[i + 1]) != 'x') return 0;
  char a = s[i + 2], b = lower(s[i + 3]);
  if (which == '.' && a == '2' && b == 'e') return 4;
  if (which == '/' && ((a == '2' && b == 'f') || (a == '5' && b == 'c'))) return 4;
  return 0;
}

// Classifies one segment as a lenient server would: ";params" dropped (Tomcat "..;/"),
// blanks and control bytes ignored (Windows strips trailing blanks; "..%01" tricks), a run of
// two or more dots is a parent reference ("..." is ".." on Windows and in attack tools).
SegKind classify(std::string_view seg) {
  size_t dots = 0, other = 0, wild = 0;
  for (size_t i = 0; i < seg.size(); ++i) {
    char c = seg[i];
    if (c == ';') break;
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20) continue;
    if (c == '.') {
      ++dots;
    } else if (c == '?' || c == '*') {
      ++wild;  // glob wildcards: "??" and ".?" match ".." for glob()/FindFirstFile
    } else if (size_t n = c == '0' ? hex_literal(seg, i, '.') : 0) {
      ++dots;
      i += n - 1;
    } else {
      ++other;
    }
  }
  if (other == 0 && dots + wild == 0) return SegKind::kSkip;
  if (other == 0 && wild == 0 && dots == 1) return SegKind::kDot;
  // Wildcards alone stand for ".." only as a two-character segment with a '?' ("??", "*?"): a
  // run of them is a comment banner ("/*****...") and "**" is the recursive glob of Ant,
  // gitignore and Maven ("**/*Test.java").
  if (other == 0 && dots + wild >= 2 &&
      (dots > 0 || (wild == 2 && seg.find('?') != std::string_view::npos))) {
    return SegKind::kParent;
  }
  if (other == 0) return SegKind::kDot;
  return SegKind::kName;
}

Finding make(std::string_view reason, std::string_view fp) {
  Finding f;
  f.detector = Detector::kPath;
  f.context = "path";
  f.reason = reason;
  f.set_fingerprint(fp);
  return f;
}

struct Walk {
  std::string_view root;  // the name segment resolved at depth 0 (the first level below the start)
  std::string_view last;  // last name segment seen
  std::string_view prev;  // segment before |last|
  int depth = 0;
  int min_depth = 0;
  bool obfuscated = false;  // "." segments or doubled separators in an absolute path
  bool had_sep = false;
  bool sensitive_pair = false;
  bool restricted = false;  // a hidden, log or backup file name (see is_restricted_name)
};

// File names a web application never takes from a client (OWASP CRS 930130 "restricted
// files"): hidden dot files and directories (.env, .git, .ssh, editor and agent configs; not
// .well-known, RFC 8615), logs (log-poisoning LFI) and database dumps or backup copies.
bool is_restricted_name(std::string_view seg) {
  if (size_t semi = seg.find(';'); semi != std::string_view::npos) seg = seg.substr(0, semi);
  if (seg.size() >= 2 && seg[0] == '.' && is_alpha(seg[1])) return !iequals(seg, ".well-known");
  // Every suffix below holds '.' or '_' (and stripping an archive suffix leaves a prefix of
  // `seg`): a name with neither is not restricted. Most path segments are plain words.
  bool dot_or_underscore = false;
  for (char c : seg) dot_or_underscore |= c == '.' || c == '_';
  if (!dot_or_underscore) return false;
  static constexpr std::array<std::string_view, 6> kArchive = {".zip", ".gz", ".tgz",
                                                               ".tar", ".7z", ".bz2"};
  for (auto a : kArchive) {
    // The suffix's first byte ('.') is tested before the call.
    if (seg.size() > a.size() && seg[seg.size() - a.size()] == a[0] &&
        iequals(seg.substr(seg.size() - a.size()), a)) {
      seg = seg.substr(0, seg.size() - a.size());
      break;
    }
  }
  static constexpr std::array<std::string_view, 10> kExt = {
      ".log", ".sql", ".bak", ".old", ".orig", ".swp", ".sqlite", ".dump", ".mdb", "_log"};
  for (auto e : kExt)
    if (seg.size() > e.size() && seg[seg.size() - e.size()] == e[0] &&
        iequals(seg.substr(seg.size() - e.size()), e)) {
      return true;
    }
  return false;
}

// Length of the separator at path[i], 0 if none: '/', '\', their hex literals, and |alt| (a
// separator inferred from the input, see infer_separator).
size_t sep_len(std::string_view path, size_t i, std::string_view alt) {
  if (is_sep(path[i])) return 1;
  if (path[i] == '0') {  // hex_literal() needs a '0' there: skip the call for other bytes
    if (size_t n = hex_literal(path, i, '/')) return n;
  }
  if (!alt.empty() && path.substr(i, alt.size()) == alt) return alt.size();
  return 0;
}

// iequals() with the length test inlined: walk() compares every name segment with a few words.
inline bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequals(a, b);
}

// Walks the segments of |path|; returns early-exit information through |w|.
void walk(std::string_view path, std::string_view alt, Walk* w) {
  size_t i = 0;
  bool prev_empty = false;
  while (i <= path.size()) {
    size_t j = i;
    size_t sl = 0;
    while (j < path.size() && (sl = sep_len(path, j, alt)) == 0) ++j;
    std::string_view seg = path.substr(i, j - i);
    if (j < path.size()) w->had_sep = true;
    switch (classify(seg)) {
      case SegKind::kSkip:
        if (i > 0 && j < path.size()) {
          if (prev_empty) w->obfuscated = true;
          prev_empty = true;
        }
        break;
      case SegKind::kDot:
        w->obfuscated = true;
        break;
      case SegKind::kParent:
        --w->depth;
        if (w->depth < w->min_depth) w->min_depth = w->depth;
        break;
      case SegKind::kName:
        prev_empty = false;
        if (w->depth == 0) w->root = seg;
        if (same_word(w->last, "etc") && in_list(seg, kEtcFiles)) w->sensitive_pair = true;
        if ((same_word(w->last, "windows") || same_word(w->last, "winnt")) &&
            in_list(seg, kWindowsChildren))
          w->sensitive_pair = true;
        // procfs / sysfs expose process environment, memory maps and kernel state.
        if (same_word(w->last, "proc") ||
            (same_word(w->last, "sys") &&
             (same_word(seg, "class") || same_word(seg, "kernel") || same_word(seg, "devices"))))
          w->sensitive_pair = true;
        if (is_restricted_name(seg)) w->restricted = true;
        w->prev = w->last;
        w->last = seg;
        ++w->depth;
        break;
    }
    if (j >= path.size()) break;
    i = j + sl;
  }
}

// Traversal fuzzers try separators that only some decoder turns into '/' or '\' (%c0%9v,
// %uF025, %c1%pc...). When the token starts with a dot-dot run followed by a short run of
// punctuation or non-ASCII bytes, that run is the separator being tried: walking the token with
// it as a separator tells whether the input was built to climb.
std::string_view infer_separator(std::string_view tok) {
  size_t i = 0;
  while (i < tok.size() && is_sep(tok[i])) ++i;
  size_t dots = 0, real = 0;
  while (i < tok.size() && (tok[i] == '.' || tok[i] == '?' || hex_literal(tok, i, '.'))) {
    real += tok[i] != '?';
    i += tok[i] == '0' ? 4 : 1;
    ++dots;
  }
  if (dots < 2 || real == 0) return {};
  size_t start = i;
  // "..2f..2f": the percent sign stripped by a filter that removes '%' but leaves the hex.
  if (i + 2 < tok.size() &&
      ((tok[i] == '2' && lower(tok[i + 1]) == 'f') || (tok[i] == '5' && lower(tok[i + 1]) == 'c')))
    return tok.substr(i, 2);
  while (i < tok.size() && i - start < 8) {
    auto u = static_cast<unsigned char>(tok[i]);
    bool junk = u < 0x20 || u >= 0x80 || std::strchr("%~*;+#@^", tok[i]) != nullptr;
    if (!junk) break;
    ++i;
  }
  if (i == start || i >= tok.size()) return {};
  return tok.substr(start, i - start);
}

// Exact shortcut for check_token(): a token with no slash, backslash, ':', '~' and no "0x"/"0X"
// (hex-spelled separators or dots), that does not start with '.' or '?', cannot fire. Every
// stream wrapper, "://", UNC and drive check needs a backslash or ':'; the home check needs '~';
// the walk sees a separator only at a slash, a backslash or "0x2f"/"0x5c", and without one only
// the inferred-separator walk can fire, which needs a leading dot run ('.', '?' or "0x2e").
bool token_may_be_path(std::string_view tok) {
  if (tok.empty()) return false;
  if (tok[0] == '.' || tok[0] == '?') return true;
  char prev = 0;
  for (char c : tok) {
    if (c == '/' || c == '\\' || c == ':' || c == '~') return true;
    if (prev == '0' && (c == 'x' || c == 'X')) return true;
    prev = c;
  }
  return false;
}

std::optional<Finding> check_token(std::string_view tok, bool first_token) {
  if (!token_may_be_path(tok)) return std::nullopt;
  // Stream wrappers: file: reads local files (RFC 8089); the PHP ones are LFI/RCE staples.
  static constexpr std::array<std::string_view, 8> kSchemes = {
      "file:",     "php://",  "phar://",        "zip://",
      "expect://", "glob://", "compress.zlib:", "compress.bzip2:"};
  // Every wrapper and "://" holds a ':'.
  const bool has_colon = tok.find(':') != std::string_view::npos;
  if (has_colon) {
    for (auto s : kSchemes) {
      if (!istarts_with(tok, s)) continue;
      // "file:" needs a path (RFC 8089: file:/p, file:///p, file://host/p, file:c:/p); the word
      // "file:" ending a phrase ("the control file: Closes") is prose.
      if (s == "file:") {
        const std::string_view rest = tok.substr(s.size());
        const bool drive =
            rest.size() >= 2 && is_alpha(rest[0]) && (rest[1] == ':' || rest[1] == '|');
        if (rest.empty() || !(rest[0] == '/' || rest[0] == '\\' || drive)) continue;
      }
      return make("local file or stream wrapper URL", s);
    }
  }

  std::string_view path = tok;
  bool absolute = false;
  bool windows_abs = false;
  size_t scheme = has_colon ? tok.find("://") : std::string_view::npos;
  if (scheme != std::string_view::npos) {
    // A URL: only its path can traverse (e.g. http://h/../../etc/passwd fetched server-side).
    size_t start = tok.find('/', scheme + 3);
    if (start == std::string_view::npos) return std::nullopt;
    path = tok.substr(start);
  } else if (tok.size() >= 3 && is_sep(tok[0]) && is_sep(tok[1]) && tok[0] == '\\' &&
             !is_sep(tok[2]) && tok[2] != '.' && tok[2] != '?') {
    return make("UNC path to a network share", "unc");
  } else if (tok.size() >= 3 && is_alpha(tok[0]) && tok[1] == ':' && is_sep(tok[2])) {
    return make("absolute Windows drive path", "drive");
  } else if (!tok.empty() && tok[0] == '~' && first_token) {
    // ~user and ~/.dotfile: shell-style home references resolved by some file APIs.
    if (tok.size() >= 3 && tok[1] == '/' && tok[2] == '.') return make("home dotfile", "~/.");
    size_t k = 1;
    while (k < tok.size() && (is_alpha(tok[k]) || tok[k] == '_')) ++k;
    bool root = iequals(tok.substr(0, k), "~root");
    if (k > 1 && ((k < tok.size() && is_sep(tok[k])) || (root && k == tok.size())))
      return make("another user's home", "~user");
  }
  if (!path.empty() && is_sep(path[0])) {
    absolute = true;
    windows_abs = path[0] == '\\';
  }

  Walk w;
  walk(path, {}, &w);
  if (w.min_depth < 0 && w.had_sep)
    return make("dot-dot segments climb above the start directory", "../");
  if (std::string_view alt = infer_separator(path); !alt.empty()) {
    Walk alt_walk;
    walk(path, alt, &alt_walk);
    if (alt_walk.min_depth < 0)
      return make("dot-dot segments with a non-standard separator", "..?");
  }
  if (!w.had_sep) return std::nullopt;
  if (absolute && scheme == std::string_view::npos && first_token) {
    // Only where the input starts with the path, as a file-name parameter does: prose that
    // mentions /usr/share/dict in passing is not a path sink.
    std::string_view root = w.root;
    bool below = w.depth >= 2;
    if ((below || w.obfuscated) && in_list(root, kSystemRoots))
      return make("absolute path into a system directory", "/root");
    if ((windows_abs || tok.find('\\') != std::string_view::npos) && w.depth >= 1 &&
        in_list(root, kWindowsRoots))
      return make("absolute Windows system path", "\\windows");
    if (root.size() == 2 && is_alpha(root[0]) && root[1] == ':')
      return make("absolute Windows drive path", "drive");
  }
  if (w.sensitive_pair) return make("reference to a well-known sensitive file", "sensitive");
  if (in_list(w.last, kSensitiveFiles) && w.depth >= 1)
    return make("reference to a well-known sensitive file", "sensitive");
  if ((first_token || absolute) && scheme == std::string_view::npos && w.restricted)
    return make("hidden, log or backup file never served to clients", "restricted");
  return std::nullopt;
}

// Decodes |in| as standard base64 into |out| (capacity |cap|) when the whole input is base64
// and decodes to printable ASCII; returns the decoded length, 0 otherwise. Apps that take a
// file name base64-encoded (?file=Li4vZXRjL3Bhc3N3ZA==) are common enough to look once.
size_t base64_printable(std::string_view in, char* out, size_t cap) {
  if (in.size() < 8 || in.size() % 4 != 0 || in.size() / 4 * 3 > cap) return 0;
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else
      return 0;
    if (pad != 0) return 0;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      auto b = static_cast<unsigned char>((acc >> bits) & 0xFF);
      if (b < 0x20 || b >= 0x7F) return 0;
      out[n++] = static_cast<char>(b);
    }
  }
  return pad <= 2 ? n : 0;
}

std::optional<Finding> detect_plain(std::string_view decoded);

}  // namespace

std::optional<Finding> detect_path(std::string_view decoded) {
  if (auto f = detect_plain(decoded)) return f;
  char buf[768];
  size_t n = base64_printable(decoded, buf, sizeof(buf));
  if (n == 0) return std::nullopt;
  if (auto f = detect_plain(std::string_view(buf, n))) {
    f->reason = "base64-encoded path traversal";
    return f;
  }
  return std::nullopt;
}

namespace {

std::optional<Finding> detect_plain(std::string_view decoded) {
  // NUL truncation: C-string file APIs stop at the NUL, so "shell.php\0.jpg" passes an
  // extension check and opens shell.php (CWE-158).
  for (size_t i = 1; i < decoded.size(); ++i) {
    // Jump to the next NUL (memchr) instead of testing every byte.
    const void* nul = std::memchr(decoded.data() + i, '\0', decoded.size() - i);
    if (nul == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(nul) - decoded.data());
    size_t b = i;
    bool namey = false;
    while (b > 0 && !ends_token(decoded[b - 1]) && decoded[b - 1] != '\0') {
      char c = decoded[--b];
      if (c == '.' || is_sep(c)) namey = true;
    }
    if (namey && b < i) return make("NUL byte truncates a file name", "nul");
  }

  bool first = true;
  size_t i = 0;
  while (i < decoded.size()) {
    while (i < decoded.size() && ends_token(decoded[i])) ++i;
    size_t j = i;
    while (j < decoded.size() && !ends_token(decoded[j])) ++j;
    if (j > i) {
      if (auto f = check_token(decoded.substr(i, j - i), first)) return f;
      first = false;
    }
    i = j;
  }
  return std::nullopt;
}

}  // namespace
}  // namespace portcullis::rules
