#include "proxy/stages/rate_limit/scanner_paths.h"

namespace portcullis::rate_limit {
namespace {

// Generalised from what scanners probe (Aikido Zen's scanner lists, nuclei/dirbuster wordlists):
// the leak is the interesting part, so whole segments are listed, not every full path.
constexpr std::string_view kShipped[] = {
    // Any dot-segment (/.env, /.git/config, /.aws/credentials, /.DS_Store...), except
    // /.well-known/ (RFC 8615: ACME challenges, security.txt). Web roots never serve dotfiles.
    ".*",
    // Configuration and credential files under their usual names, any extension except those a
    // page legitimately loads (see kPageExtensions): config.php, config_dev.yml, wp-config.php5...
    "config.*", "config_dev.*", "config-dev.*", "config_prod.*", "config-prod.*", "config_sample.*",
    "config-sample.*", "config_test.*", "config-test.*", "wp-config.*", "wp-settings.*",
    "localsettings.*", "docker-compose.*", "docker-compose-dev.*", "aws.*", "aws-key.*",
    "credentials.*", "secrets.*", "serviceaccountcredentials.*", "service-account-credentials.*",
    "parameters.*", "phpinfo.*", "composer.*", "mysql_config.*",
    // exact names
    "dockerfile", "web.config", "package.json", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "cargo.lock", "gruntfile.js", "webpack.config.js", "pom.xml", "php.ini", "my.ini",
    "my.cnf", "boot.ini", "win.ini", "passwd", "cmd.exe", "haproxy.cfg", "fastcgi.conf", "smb.conf",
    "log4j.properties", "winscp.ini", "ws_ftp.ini", "vim_settings.xml", "webuser-auth.xml",
    "terraform.tfstate", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "authorized_keys",
    "info.php", "server-status", "server-info", "elmah.axd", "trace.axd", "phpmyadmin", "pma",
    "myadmin", "adminer.php", "wp-admin", "wp-login.php", "xmlrpc.php", "wp-includes", "cgi-bin",
    "shell.php", "cmd.php", "c99.php", "r57.php", "webshell.php", "system32", "%systemroot%",
    "jmx-console", "web-console", "hnap1", "phpunit", "eval-stdin.php", "xampp", "apache2",
    // backups, dumps, logs and editor leftovers
    "*.bak", "*.old", "*.orig", "*.swp", "*.swo", "*.save", "*.sql", "*.sql.gz", "*.tar.gz",
    "*.tgz", "*.backup", "*.dump", "*.sqlite", "*.mdb", "*.pem", "*.key", "*.p12", "*.pfx", "*.log",
    "*.ini", "*.cfg", "*.conf", "*.yml", "*.yaml", "*.toml", "*.lock", "*.properties", "*.tfstate",
    "*.phar", "*~"};

// Extensions a page loads as a matter of course: a stem pattern never matches them, so a site
// whose front end fetches /config.js or /config.json on every view collects no strikes.
constexpr std::string_view kPageExtensions[] = {"js",  "mjs", "css", "html", "htm", "json",
                                                "png", "svg", "ico", "map",  "txt", "xml"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (suffix.size() > s.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

std::span<const std::string_view> ScannerPaths::shipped_patterns() { return kShipped; }

Status ScannerPaths::add(std::string_view p) {
  if (p.empty() || p.size() > 256) return make_error("scanner path pattern must be 1..256 bytes");
  if (p == ".*") {
    dot_segments_ = true;
    return Status::Ok();
  }
  if (p.size() > 2 && p.substr(p.size() - 2) == ".*" && p.front() != '/' &&
      p.find('/') == std::string_view::npos && p.find('*') == p.size() - 1) {
    stems_.insert(lower(p.substr(0, p.size() - 2)));
    return Status::Ok();
  }
  if (p.substr(0, 1) == "*") {
    if (p.size() < 2 || p.find('/') != std::string_view::npos) {
      return make_error("'" + std::string(p) + "': a suffix pattern is *.ext or *~");
    }
    suffixes_.push_back(lower(p.substr(1)));
  } else if (p.front() == '/') {
    std::string s = lower(p);
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    prefixes_.push_back(std::move(s));
  } else {
    if (p.find('/') != std::string_view::npos || p.find('*') != std::string_view::npos) {
      return make_error("'" + std::string(p) + "': a segment pattern has no '/' or '*'");
    }
    segments_.insert(lower(p));
  }
  return Status::Ok();
}

Result<ScannerPaths> ScannerPaths::build(std::span<const std::string> extra) {
  ScannerPaths s;
  for (std::string_view p : kShipped) {
    Status st = s.add(p);
    if (!st.ok()) return st.error();
  }
  for (const std::string& p : extra) {
    Status st = s.add(p);
    if (!st.ok()) return make_error("rate_limit.auto_block.scanner_paths: " + st.error().reason);
  }
  return s;
}

bool ScannerPaths::matches(std::string_view path) const {
  char seg[128];
  size_t i = 0;
  std::string_view last;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t start = i;
    while (i < path.size() && path[i] != '/') ++i;
    if (i == start) break;
    std::string_view s = path.substr(start, i - start);
    last = s;
    if (s.size() > sizeof(seg)) continue;
    for (size_t k = 0; k < s.size(); ++k) {
      char c = s[k];
      seg[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    std::string_view lseg(seg, s.size());
    if (segments_.find(lseg) != segments_.end()) return true;
    if (dot_segments_ && lseg.size() > 1 && lseg.front() == '.' && lseg != ".well-known") {
      return true;
    }
  }
  if (!last.empty() && !stems_.empty() && last.size() <= sizeof(seg)) {
    size_t dot = last.find('.');
    if (dot != std::string_view::npos && dot > 0) {
      std::string_view ext = last.substr(last.rfind('.') + 1);
      bool page = false;
      for (std::string_view pe : kPageExtensions) {
        page = page || (ext.size() == pe.size() && ends_with_ci(ext, pe));
      }
      for (size_t k = 0; k < dot; ++k) {
        char c = last[k];
        seg[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      if (!page && stems_.find(std::string_view(seg, dot)) != stems_.end()) return true;
    }
  }
  if (!last.empty()) {
    for (const std::string& suffix : suffixes_) {
      if (ends_with_ci(last, suffix)) return true;
    }
  }
  for (const std::string& prefix : prefixes_) {
    if (path.size() < prefix.size()) continue;
    bool eq = true;
    for (size_t k = 0; k < prefix.size() && eq; ++k) {
      char c = path[k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      eq = c == prefix[k];
    }
    if (eq && (path.size() == prefix.size() || path[prefix.size()] == '/')) return true;
  }
  return false;
}

}  // namespace portcullis::rate_limit
