#include "rules/shell/shell_detector.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace portcullis::rules {
namespace {

constexpr int kMaxDepth = 4;        // nested $( ` levels analyzed
constexpr size_t kMaxWord = 64;     // normalized word bytes kept (longer words are truncated)
constexpr size_t kWordsPerCmd = 8;  // words of a simple command kept for the verdict

// Distinctive command names: seen right after a separator they mean a command runs.
constexpr std::string_view kStrongCommands[] = {"whoami",
                                                "uname",
                                                "ifconfig",
                                                "ipconfig",
                                                "wget",
                                                "curl",
                                                "nc",
                                                "ncat",
                                                "netcat",
                                                "bash",
                                                "sh",
                                                "zsh",
                                                "ksh",
                                                "csh",
                                                "tcsh",
                                                "dash",
                                                "python",
                                                "python2",
                                                "python3",
                                                "perl",
                                                "ruby",
                                                "php",
                                                "lua",
                                                "node",
                                                "nodejs",
                                                "telnet",
                                                "nslookup",
                                                "netstat",
                                                "systeminfo",
                                                "tasklist",
                                                "taskkill",
                                                "powershell",
                                                "pwsh",
                                                "cmd",
                                                "wmic",
                                                "certutil",
                                                "bitsadmin",
                                                "regsvr32",
                                                "rundll32",
                                                "mshta",
                                                "cscript",
                                                "wscript",
                                                "netsh",
                                                "gcc",
                                                "chmod",
                                                "chown",
                                                "chgrp",
                                                "useradd",
                                                "usermod",
                                                "userdel",
                                                "rm",
                                                "mv",
                                                "cp",
                                                "ls",
                                                "ln",
                                                "mkdir",
                                                "rmdir",
                                                "pwd",
                                                "env",
                                                "printenv",
                                                "base64",
                                                "xxd",
                                                "hexdump",
                                                "sudo",
                                                "su",
                                                "crontab",
                                                "nmap",
                                                "ssh",
                                                "scp",
                                                "sftp",
                                                "tftp",
                                                "socat",
                                                "awk",
                                                "gawk",
                                                "sed",
                                                "grep",
                                                "egrep",
                                                "fgrep",
                                                "xargs",
                                                "killall",
                                                "pkill",
                                                "shutdown",
                                                "reboot",
                                                "halt",
                                                "poweroff",
                                                "iptables",
                                                "mkfifo",
                                                "mknod",
                                                "dd",
                                                "tar",
                                                "gunzip",
                                                "gzip",
                                                "zcat",
                                                "bzip2",
                                                "unzip",
                                                "openssl",
                                                "uconv",
                                                "flock",
                                                "irb",
                                                "busybox",
                                                "nohup",
                                                "id",
                                                "lsof",
                                                "sysinfo",
                                                "hostname",
                                                "ifup",
                                                "passwd",
                                                "getent",
                                                "sqlite3",
                                                "mysql",
                                                "vim",
                                                "nvim",
                                                "iwr",
                                                "iex",
                                                "irm",
                                                "perf",
                                                "cpulimit",
                                                "c89",
                                                "c99",
                                                "visudo",
                                                "ansible",
                                                "ansible-playbook",
                                                "chef-client",
                                                "kubectl",
                                                "systemctl",
                                                "apt-get",
                                                "yum",
                                                "dnf",
                                                "pip",
                                                "rmt-tar",
                                                "rmt",
                                                "mkpasswd",
                                                "Invoke-WebRequest",
                                                "Invoke-Expression",
                                                "Start-Process",
                                                "setsid"};

// Command names that are also English words: they need a shell-like argument as well.
constexpr std::string_view kWeakCommands[] = {
    "cat",    "echo",  "printf", "sleep",  "ping",    "time", "date", "find",    "sort",
    "more",   "less",  "head",   "tail",   "test",    "read", "kill", "touch",   "type",
    "dir",    "set",   "who",    "last",   "look",    "make", "file", "wall",    "write",
    "watch",  "tee",   "which",  "locate", "expr",    "eval", "exec", "exit",    "export",
    "source", "alias", "cd",     "top",    "free",    "df",   "du",   "mount",   "lastlog",
    "finger", "mail",  "dig",    "host",   "net",     "ps",   "vi",   "command", "pwd",
    "sleep",  "ex",    "trap",   "cc",     "service", "apt"};

// cmd.exe commands; cmd.exe is case-insensitive, so these also match "Dir" or "NET".
constexpr std::string_view kWindowsCommands[] = {
    "dir",     "type",       "net",        "reg",      "copy",      "del",      "md",
    "rd",      "ren",        "ver",        "vol",      "call",      "start",    "echo",
    "set",     "ipconfig",   "systeminfo", "tasklist", "taskkill",  "netsh",    "wmic",
    "whoami",  "powershell", "cmd",        "certutil", "bitsadmin", "schtasks", "sc",
    "nltest",  "query",      "cls",        "attrib",   "cacls",     "icacls",   "runas",
    "findstr", "hostname",   "route",      "arp",      "shutdown"};

// Functions of common host languages that hand their string argument to a shell
// (PHP system/exec/passthru/shell_exec/popen, Python os.system, Ruby/Perl system and exec).
constexpr std::string_view kShellFunctions[] = {"system",
                                                "exec",
                                                "shell_exec",
                                                "passthru",
                                                "popen",
                                                "proc_open",
                                                "eval",
                                                "os.system",
                                                "subprocess.call",
                                                "subprocess.run",
                                                "subprocess.Popen",
                                                "Kernel.exec",
                                                "Runtime.exec",
                                                "spawn",
                                                "execSync",
                                                "child_process.exec",
                                                "pcntl_exec",
                                                "assert",
                                                "backticks"};

// System and network administration tools that are no English word and no programming language:
// after a command separator they run whatever their arguments ("; netsh firewall set opmode
// disable", "| net user"), so they need no shell-like argument as evidence. Compared
// case-insensitively: most are Windows tools and cmd.exe ignores case.
constexpr std::string_view kAdminTools[] = {
    "whoami",   "uname",    "ifconfig", "ipconfig",   "netstat",  "systeminfo", "tasklist",
    "taskkill", "wmic",     "certutil", "bitsadmin",  "regsvr32", "rundll32",   "mshta",
    "netsh",    "nslookup", "useradd",  "usermod",    "userdel",  "iptables",   "mkfifo",
    "crontab",  "nmap",     "socat",    "ncat",       "netcat",   "wget",       "chmod",
    "chown",    "printenv", "getent",   "visudo",     "killall",  "pkill",      "schtasks",
    "nltest",   "icacls",   "cacls",    "powershell", "pwsh",     "cscript",    "wscript"};

// Words that precede the real command: "time curl x", "sudo -u x id", "if ...; then id".
constexpr std::string_view kPrefixWords[] = {
    "time",  "nohup", "sudo", "env", "exec", "command", "builtin", "nice", "timeout",
    "xargs", "watch", "then", "do",  "else", "!",       "{",       "if",   "busybox"};

// Shell variables whose expansion only makes sense to a shell ($IFS splits words, $PATH...).
constexpr std::string_view kShellVars[] = {"IFS", "PATH",   "HOME",   "USER",    "SHELL",
                                           "PWD", "OLDPWD", "UID",    "EUID",    "BASH",
                                           "ENV", "PPID",   "RANDOM", "HOSTNAME"};

template <size_t N>
bool in_list(std::string_view s, const std::string_view (&list)[N]) {
  if (s.empty()) return false;  // no list holds an empty name
  // Length and first byte reject almost every entry without a string comparison.
  for (auto item : list)
    if (item.size() == s.size() && item[0] == s[0] && s == item) return true;
  return false;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ident(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
// Blanks as a lenient shell or a Windows cmd sees them (Zen: \r and \f split words too), and
// operator bytes; a table because the word scanner asks for every byte.
enum : uint8_t { kBlankByte = 1, kOperatorByte = 2 };
constexpr std::array<uint8_t, 256> kByteKind = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : std::string_view(" \t\r\f\v")) t[c] = kBlankByte;
  for (unsigned char c : std::string_view(";&|<>()\n")) t[c] = kOperatorByte;
  return t;
}();
inline bool is_blank(char c) {
  return (kByteKind[static_cast<unsigned char>(c)] & kBlankByte) != 0;
}
inline bool is_operator(char c) {
  return (kByteKind[static_cast<unsigned char>(c)] & kOperatorByte) != 0;
}

// Exact-match set over one of the command lists above, built at compile time (FNV-1a, linear
// probing, load factor <= 1/4): command_strength() asks for every candidate command word, and a
// linear scan of 136 names per word was the detector's hot spot. Same answers as in_list().
template <size_t N>
class NameSet {
 public:
  constexpr explicit NameSet(const std::string_view (&list)[N]) : names_(list) {
    for (size_t i = 0; i < N; ++i) {
      size_t slot = hash(list[i]) & (kSlots - 1);
      while (index_[slot] != 0) slot = (slot + 1) & (kSlots - 1);
      index_[slot] = static_cast<uint16_t>(i + 1);
    }
  }
  bool contains(std::string_view s) const {
    for (size_t slot = hash(s) & (kSlots - 1); index_[slot] != 0;
         slot = (slot + 1) & (kSlots - 1)) {
      if (names_[index_[slot] - 1] == s) return true;
    }
    return false;
  }

 private:
  static constexpr size_t kSlots = [] {
    size_t n = 16;
    while (n < 4 * N) n *= 2;
    return n;
  }();
  static constexpr uint32_t hash(std::string_view s) {
    uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  const std::string_view* names_;
  std::array<uint16_t, kSlots> index_{};
};

constexpr NameSet kStrongSet(kStrongCommands);
constexpr NameSet kWeakSet(kWeakCommands);
constexpr NameSet kWindowsSet(kWindowsCommands);
constexpr NameSet kAdminSet(kAdminTools);

// std::string_view::find_first_of calls memchr on the set once per byte of `s`: on the hot path
// a plain loop over a small set is several times cheaper. Same result.
bool has_any_of(std::string_view s, std::string_view set) {
  for (char c : s) {
    for (char x : set) {
      if (c == x) return true;
    }
  }
  return false;
}

bool istarts_with(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (lower(s[i]) != lower(p[i])) return false;
  return true;
}

struct Word {
  char norm[kMaxWord];
  size_t len = 0;
  bool quoted = false;        // some part was quoted
  bool var_only = false;      // the word is just an expansion ($CMD, $@)
  bool assigned = false;      // ... of a variable the input assigned earlier (a=/etc; $a)
  bool has_glob = false;      // unquoted ? * [ (pathname expansion)
  bool has_subst = false;     // contained $(...) or `...`
  bool split = false;         // quoting, escaping or an empty expansion inside the word (w'h'o)
  bool fully_quoted = false;  // one quoted string from the first to the last byte ("x y")

  std::string_view view() const { return {norm, len}; }
  void push(char c) {
    if (len < kMaxWord) norm[len++] = c;
  }
  void clear() {
    len = 0;
    quoted = var_only = assigned = has_glob = has_subst = split = fully_quoted = false;
  }
};

enum class Strength { kNone, kWeak, kStrong };

// How a normalized word fares as the name of a command.
Strength command_strength(const Word& w) {
  std::string_view s = w.view();
  if (w.var_only) return Strength::kStrong;  // "CMD=id; $CMD"
  if (s.empty() || has_any_of(s, " ,\t")) return Strength::kNone;
  if (s.size() > 4 && istarts_with(s.substr(s.size() - 4), ".exe")) s.remove_suffix(4);
  size_t slash = std::string_view::npos;
  for (size_t k = s.size(); k > 0; --k) {
    if (s[k - 1] == '/' || s[k - 1] == '\\') {
      slash = k - 1;
      break;
    }
  }
  if (slash != std::string_view::npos) {
    // A path used as a command: /bin/cat, ../../bin/ls, /usr/bin/W, /???/c?t.
    bool anchored = s[0] == '/' || s[0] == '\\' || s.substr(0, 2) == "./" ||
                    s.substr(0, 3) == "../" || (s.size() > 2 && is_alpha(s[0]) && s[1] == ':');
    if (!anchored) return Strength::kNone;
    std::string_view base = s.substr(slash + 1);
    char lowered[kMaxWord];
    size_t n = 0;
    for (char c : base) lowered[n++] = lower(c);
    std::string_view lb(lowered, n);
    if (kStrongSet.contains(lb) || kWeakSet.contains(lb)) return Strength::kStrong;
    // A wildcard path (/???/c?t, /bin/c[a]t) the shell expands to a binary; a URL with a
    // query ("/a/b?x=1") is not one.
    if (w.has_glob && s[0] == '/' && slash > 0 && is_alpha(s.back()) &&
        s.find_first_of("=&.%{},:") == std::string_view::npos)
      return Strength::kStrong;
    size_t bin = s.find("bin/");
    if (bin != std::string_view::npos || s.find("BIN/") != std::string_view::npos ||
        s.find("bIn/") != std::string_view::npos || s.find("Bin/") != std::string_view::npos)
      return base.empty() ? Strength::kNone : Strength::kStrong;
    return Strength::kNone;
  }
  if (kStrongSet.contains(s)) return Strength::kStrong;
  if (kWeakSet.contains(s)) return Strength::kWeak;
  if (s.size() < kMaxWord) {
    char lowered[kMaxWord];
    for (size_t k = 0; k < s.size(); ++k) lowered[k] = lower(s[k]);
    std::string_view ls(lowered, s.size());
    if (kWindowsSet.contains(ls))
      return kStrongSet.contains(ls) ? Strength::kStrong : Strength::kWeak;
  }
  return Strength::kNone;
}

// An argument only a command line has: an option, a path, a number, a drive path.
bool shell_like_arg(const Word& w) {
  std::string_view s = w.view();
  if (s.empty()) return w.has_subst || w.assigned;  // `$a` that the input assigned itself
  if (s.size() >= 2 && s[0] == '-' &&
      (is_alpha(s[1]) || is_digit(s[1]) || (s[1] == '-' && s.size() > 2 && is_alpha(s[2]))))
    return true;
  if (s[0] == '/' || s[0] == '~' || s.substr(0, 2) == "./" || s.substr(0, 3) == "../") return true;
  // A drive ("C:", "C:\x"; the shell ate the backslashes, cmd.exe would not).
  if (s.size() >= 2 && is_alpha(s[0]) && s[1] == ':' &&
      (s.size() == 2 || !is_alpha(s[2]) || w.quoted))
    return true;
  if (s.find("://") != std::string_view::npos) return true;  // a URL to fetch
  if (s.find("=/") != std::string_view::npos) return true;   // dd if=/etc/passwd, --x=/path
  bool digits = true;
  for (char c : s) digits &= is_digit(c) || c == '.';
  if (digits) return true;
  return w.has_subst || w.var_only;
}

bool system_path(std::string_view s) {
  if (s.size() < 2 || s[0] != '/') return false;
  if (istarts_with(s, "/dev/")) return true;
  size_t second = s.find('/', 1);
  return second != std::string_view::npos && second + 1 < s.size();
}

// kSoft: a newline inside text (prose has many); kWeak: ; & (prose has some); kPipe: |;
// kStrong: && || |& and the start of a substitution.
enum class Sep { kNone, kSoft, kWeak, kPipe, kStrong };

bool lower_name_of(std::string_view s) {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && istarts_with(a, b);
}

// PHP function names are case-insensitive (System('id') works), Ruby has %x(...).
bool shell_function(std::string_view w) {
  if (w == "%x") return true;
  for (auto f : kShellFunctions)
    if (iequals(w, f)) return true;
  return false;
}

// cmd.exe control statements (cmd.exe is case-insensitive):
//   FOR /F ... IN (...) DO cmd, FOR %G IN (...) DO cmd;
//   IF [/I] [NOT] EXIST|DEFINED|ERRORLEVEL|CMDEXTVERSION x cmd;
//   IF a==b cmd, IF a EQU|NEQ|LSS|LEQ|GTR|GEQ b cmd (a comparison, then a command).
bool cmd_exe_statement(const Word* words, size_t n) {
  if (n < 2) return false;
  std::string_view w0 = words[0].view(), w1 = words[1].view();
  if (iequals(w0, "for")) {
    bool var = (w1.size() >= 2 && (w1[0] == '/' || w1[0] == '%'));
    return var && n >= 3 && (iequals(words[2].view(), "in") || w1[0] == '/');
  }
  if (!iequals(w0, "if") && !iequals(w0, "if/i")) return false;
  auto cond = [](std::string_view w) {
    return iequals(w, "exist") || iequals(w, "defined") || iequals(w, "errorlevel") ||
           iequals(w, "cmdextversion");
  };
  auto cmp = [](std::string_view w) {
    return iequals(w, "equ") || iequals(w, "neq") || iequals(w, "lss") || iequals(w, "leq") ||
           iequals(w, "gtr") || iequals(w, "geq") || w.find("==") != std::string_view::npos;
  };
  size_t k = 1;
  while (k < n && (iequals(words[k].view(), "not") || iequals(words[k].view(), "/i"))) ++k;
  if (k < n && cond(words[k].view())) return true;
  if (w1.size() >= 3 && w1.front() == '%' && w1.back() == '%') return true;
  for (size_t c = k; c < n; ++c) {
    if (!cmp(words[c].view())) continue;
    // A command after the comparison: echo, goto, set, any known binary.
    for (size_t m = c + 1; m < n; ++m) {
      std::string_view v = words[m].view();
      if (iequals(v, "goto") || iequals(v, "echo") || iequals(v, "set") || iequals(v, "call") ||
          command_strength(words[m]) != Strength::kNone)
        return true;
    }
  }
  return false;
}

// system(), popen() and execve() take C strings: the command ends at the first NUL (";id%00").
std::string_view up_to_nul(std::string_view s) { return s.substr(0, s.find('\0')); }

// A Markdown code span stands apart from the words around it: blank (or an opening bracket,
// quote or reST role) before the first backtick, blank or punctuation after the last. Injections
// glue the substitution to a word ("www.example`whoami`.com", "pi``ng").
bool span_delimited(std::string_view s, size_t open, size_t close) {
  // (':' for reStructuredText roles: ":meth:`write`".)
  const bool before =
      open == 0 || is_blank(s[open - 1]) || std::strchr("([\"':", s[open - 1]) != nullptr;
  const bool after = close + 1 >= s.size() || is_blank(s[close + 1]) ||
                     std::strchr(".,;:)]!?'\"", s[close + 1]) != nullptr;
  return before && after;
}

class Analyzer {
 public:
  Analyzer(std::string_view text, std::string_view ctx, int depth)
      : s_(text), ctx_(ctx), depth_(depth) {}

  // The text is the body of `...` inside prose (English-word commands alone there are Markdown
  // code spans).
  void set_backticks() { backticks_ = true; }

  // Parses the whole text as shell. |whole_command|: the input may itself be the command
  // (bare context only). |in_subst|: the text is the body of $(...) or backticks.
  std::optional<Finding> run(bool whole_command, bool in_subst) {
    Sep sep = in_subst ? Sep::kStrong : Sep::kNone;
    bool glued = false;
    bool first = whole_command;
    bool subst_cmd = in_subst;
    Word words[kWordsPerCmd];
    size_t nwords = 0;
    int redirect = 0;  // 0 none, 1 pending target, 2 here-string
    Word w;
    bool seen_word = false;  // a word came before the current separator
    while (!found_) {
      Tok t = next(&w);
      if (found_) break;
      if (t == Tok::kWord) {
        seen_word = true;
        if (redirect != 0) {
          check_redirect(w, redirect, nwords > 0 ? &words[0] : nullptr);
          redirect = 0;
          continue;
        }
        push_word(w, words, &nwords);
        continue;
      }
      if (t == Tok::kRedirect || t == Tok::kHereString) {
        redirect = t == Tok::kHereString ? 2 : 1;
        continue;
      }
      if (t == Tok::kFdDup) {
        flag("redirection duplicates a file descriptor", ">&");
        break;
      }
      if (t == Tok::kGluedOpen && nwords > 0 && nwords <= kWordsPerCmd &&
          shell_function(words[nwords - 1].view())) {
        // system('id'), eval("sleep 5"): the string argument goes to a shell.
        size_t end = match_paren(pos_);
        std::string_view arg = s_.substr(pos_, end - pos_);
        while (!arg.empty() && (is_blank(arg.front()) || arg.front() == '\'' || arg.front() == '"'))
          arg.remove_prefix(1);
        while (!arg.empty() && (is_blank(arg.back()) || arg.back() == '\'' || arg.back() == '"'))
          arg.remove_suffix(1);
        nested(arg);
        if (found_) break;
      }
      // Every other token ends the simple command.
      evaluate(words, nwords, sep, first, subst_cmd, t, glued);
      if (found_) break;
      if (line_error_) {
        // The shell rejects the whole line ("syntax error near unexpected token `('"), so
        // nothing after the error on it runs: "Introduce $(CROSS) (set to ...)" is prose.
        line_error_ = false;
        size_t nl = s_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? s_.size() : nl;
        t = pos_ >= s_.size() ? Tok::kEnd : Tok::kNewline;
      }
      nwords = 0;
      redirect = 0;
      first = false;
      subst_cmd = false;
      if (t == Tok::kEnd) break;
      sep = t == Tok::kStrongSep                       ? Sep::kStrong
            : t == Tok::kPipe                          ? Sep::kPipe
            : t == Tok::kNewline                       ? Sep::kSoft
            : t == Tok::kClose || t == Tok::kGluedOpen ? Sep::kNone
                                                       : Sep::kWeak;
      // "|echo VULN", "& dir": an input that opens with a separator only makes sense appended
      // to a command line (prose does not start with '|', ';' or '&'), so what follows it counts
      // as surely as after "&&".
      if (whole_command && !seen_word && (sep == Sep::kPipe || sep == Sep::kWeak)) {
        sep = Sep::kStrong;
      }
      seen_word = true;
      glued = t != Tok::kOpen && pos_ < s_.size() && !is_blank(s_[pos_]);
      if (t == Tok::kOpen) sep = Sep::kWeak;
    }
    return result_;
  }

 private:
  enum class Tok {
    kWord,
    kNewline,
    kWeakSep,
    kStrongSep,
    kPipe,
    kOpen,
    kGluedOpen,
    kClose,
    kRedirect,
    kHereString,
    kFdDup,
    kEnd
  };

  void flag(std::string_view reason, std::string_view fp) {
    if (found_) return;
    Finding f;
    f.detector = Detector::kShell;
    f.context = ctx_;
    f.reason = reason;
    f.set_fingerprint(fp);
    result_ = f;
    found_ = true;
  }

  // Brace expansion "{cat,/etc/passwd}" yields several words; everything else one.
  void push_word(const Word& w, Word* words, size_t* n) {
    std::string_view v = w.view();
    if (!w.quoted && v.size() > 2 && v.front() == '{' && v.back() == '}' &&
        v.find(',') != std::string_view::npos) {
      size_t i = 1;
      while (i < v.size() - 1) {
        size_t j = i;
        while (j < v.size() - 1 && v[j] != ',') ++j;
        if (j > i && *n < kWordsPerCmd) {
          Word& out = words[(*n)++];
          out.clear();
          for (size_t k = i; k < j; ++k) out.push(v[k]);
          out.has_glob = w.has_glob;
          // A command name made by brace expansion (`{,ifconfig}`, `{id,}`) hides it as much as
          // quoting inside the name does.
          out.split = true;
        }
        i = j + 1;
      }
      return;
    }
    if (*n < kWordsPerCmd) words[*n] = w;
    ++*n;
  }

  void check_redirect(const Word& target, int kind, const Word* cmd) {
    bool known_cmd = cmd != nullptr && command_strength(*cmd) != Strength::kNone;
    if (kind == 2) {
      if (known_cmd) flag("here-string fed to a command", "<<<");
      return;
    }
    if (system_path(target.view())) {
      flag("redirection to or from a system path", ">/path");
    } else if (known_cmd && target.len > 0) {
      flag("redirection of a command's output", "cmd>");
    }
  }

  void evaluate(Word* words, size_t n, Sep sep, bool first, bool in_subst, Tok term, bool glued) {
    if (n > kWordsPerCmd) n = kWordsPerCmd;
    if (cmd_exe_statement(words, n)) {
      flag("cmd.exe FOR/IF statement", "for/if");
      return;
    }
    // "(eval (list ...": a '(' right after a command's words is a POSIX shell syntax error
    // (only a function definition "name()" may do that), so nothing there runs. Lisp and
    // other parenthesized prose end up here.
    if (term == Tok::kOpen && n > 0) {
      line_error_ = true;
      return;
    }
    size_t i = 0;
    // Leading assignments (NAME=value) do not name the command.
    while (i < n) {
      std::string_view v = words[i].view();
      size_t eq = v.find('=');
      bool assign = eq != std::string_view::npos && eq > 0 && is_alpha(v[0]);
      for (size_t k = 0; assign && k < eq; ++k) assign = is_ident(v[k]);
      if (!assign) break;
      ++i;
    }
    // Prefix words: the command is the next word that is not an option or a number.
    size_t cmd = i;
    while (cmd < n && in_list(words[cmd].view(), kPrefixWords)) {
      size_t k = cmd + 1;
      while (k < n && !words[k].view().empty() &&
             (words[k].view()[0] == '-' || is_digit(words[k].view()[0])))
        ++k;
      if (k >= n) break;
      cmd = k;
    }
    if (cmd >= n) return;
    Strength st = command_strength(words[cmd]);
    if (st == Strength::kNone && in_subst && cmd > i) {
      // `$(command x)`, `$(sudo x)`, `$(env x)`: a runner word inside a substitution runs
      // whatever follows it, known binary or not.
      flag("command substitution runs a command", words[i].view());
      return;
    }
    if (st == Strength::kNone) return;
    const Word* arg = cmd + 1 < n ? &words[cmd + 1] : nullptr;
    bool evidence = arg != nullptr && shell_like_arg(*arg);
    for (size_t k = cmd + 2; k < n; ++k) {
      std::string_view v = words[k].view();
      bool number = !v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos;
      evidence |= !number && shell_like_arg(words[k]);
    }
    // echo "x", grep 'password': a command word followed by one whole quoted argument.
    bool quoted_arg = arg != nullptr && arg->fully_quoted;
    std::string_view name = words[cmd].view();
    if (in_subst) {
      // Markdown and reST mark code with backticks ("use the `write` call", "a `set` of"): in
      // prose, an English-word command alone in backticks is a code span; with an argument only
      // a command line has (`cat /etc/passwd`, `ls -la`), a distinctive name (`id`), or as the
      // whole input (`echo`), it runs.
      if (backticks_ && !evidence && !quoted_arg) return;
      flag("command substitution runs a command", name);
      return;
    }
    if (words[cmd].split && !words[cmd].var_only) {
      // w'h'o'a'm'i, c\at, c$@at, pi``ng: quoting inside a command name only hides it.
      flag("obfuscated command name", name);
      return;
    }
    if (sep == Sep::kSoft) {
      if (evidence) flag("newline followed by a command", name);
      return;
    }
    if (sep != Sep::kNone) {
      bool ends_with_sep = term != Tok::kEnd && term != Tok::kClose;
      bool alone = arg == nullptr;
      // Admin tools are compared case-folded, and only when nothing cheaper decided.
      auto admin_tool = [&] {
        char lowered[kMaxWord];
        size_t ln = 0;
        for (char ch : name) lowered[ln++] = lower(ch);
        return kAdminSet.contains(std::string_view(lowered, ln));
      };
      if (evidence || sep == Sep::kStrong || quoted_arg || (st == Strength::kStrong && alone) ||
          (alone && (ends_with_sep || glued)) || admin_tool()) {
        flag("command separator followed by a command",
             name.empty() ? std::string_view("$var") : name);
        return;
      }
    }
    if (first && name == "sleep" && arg != nullptr && !arg->view().empty() &&
        is_digit(arg->view()[0])) {
      // "sleep 10": the time-based blind injection probe.
      flag("input is a command line", name);
      return;
    }
    if (first && cmd > i && st == Strength::kStrong && lower_name_of(name)) {
      // "time ifconfig", "nohup nc ...": a prefix word only ever precedes a command.
      flag("input is a command line", name);
      return;
    }
    bool lower_name = true;
    for (char ch : name) lower_name &= !(ch >= 'A' && ch <= 'Z');
    if (first && !words[cmd].var_only && lower_name) {
      // The whole input as a command line: a known binary and an argument only a command
      // line has (an option, a path, a URL, a substitution), among its first words.
      for (size_t k = cmd + 1; k < n; ++k) {
        std::string_view v = words[k].view();
        bool digits = !v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos;
        if ((shell_like_arg(words[k]) && !digits) ||
            (st == Strength::kStrong && v.find("://") != std::string_view::npos)) {
          flag("input is a command line", name);
          return;
        }
      }
    }
    if (first && arg == nullptr && st == Strength::kStrong &&
        (istarts_with(name, "/bin/") || istarts_with(name, "/sbin/") ||
         istarts_with(name, "/usr/") || name.find("/bin/") != std::string_view::npos ||
         words[cmd].has_glob)) {
      flag("input is a path to an executable", name);
    }
  }

  // Runs a nested analysis on a substitution body.
  // [from, to] spans all of the text but blanks.
  bool whole_text(size_t from, size_t to) const {
    size_t a = 0, b = s_.size();
    while (a < b && is_blank(s_[a])) ++a;
    while (b > a && is_blank(s_[b - 1])) --b;
    return from == a && to + 1 == b;
  }

  // `code_span`: the body of backticks embedded in prose (see evaluate()).
  void nested(std::string_view body, bool code_span = false) {
    if (depth_ >= kMaxDepth || found_) return;
    Analyzer inner(body, ctx_, depth_ + 1);
    if (code_span) inner.set_backticks();
    if (auto f = inner.run(false, true)) {
      result_ = f;
      found_ = true;
    }
  }

  // Index of the ')' closing a "$(" whose body starts at |i|, or s_.size().
  size_t match_paren(size_t i) const {
    int level = 1;
    char quote = 0;
    for (; i < s_.size(); ++i) {
      char c = s_[i];
      if (quote != 0) {
        if (c == quote)
          quote = 0;
        else if (c == '\\' && quote == '"')
          ++i;
        continue;
      }
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        continue;
      }
      if (c == '(') ++level;
      if (c == ')' && --level == 0) return i;
    }
    return s_.size();
  }

  // Handles a '$' at pos_ inside a word (or double quotes). Appends what it expands to, as far
  // as a static reading can tell, and flags expansions that only a shell performs.
  void dollar(Word* w) {
    size_t i = pos_ + 1;
    if (i >= s_.size()) {
      w->push('$');
      pos_ = i;
      return;
    }
    char c = s_[i];
    if (c == '(') {
      if (i + 1 < s_.size() && s_[i + 1] == '(') {
        flag("arithmetic expansion", "$((");
        pos_ = s_.size();
        return;
      }
      size_t end = match_paren(i + 1);
      w->has_subst = true;
      nested(s_.substr(i + 1, end - i - 1));
      pos_ = end < s_.size() ? end + 1 : end;
      return;
    }
    if (c == '{') {
      size_t end = s_.find('}', i + 1);
      if (end != std::string_view::npos && end > i + 1) {
        flag("parameter expansion", "${}");
      }
      pos_ = end == std::string_view::npos ? s_.size() : end + 1;
      return;
    }
    if (c == '[') {
      size_t end = s_.find(']', i + 1);
      if (end != std::string_view::npos && end > i + 1) flag("arithmetic expansion", "$[");
      pos_ = end == std::string_view::npos ? s_.size() : end + 1;
      return;
    }
    if (c == '\'') {
      // ANSI-C quoting $'..': \xHH and \NNN escapes spell any byte ($'\x69\x64' is "id").
      w->quoted = true;
      size_t k = i + 1;
      while (k < s_.size() && s_[k] != '\'') {
        if (s_[k] == '\\' && k + 1 < s_.size()) {
          char e = s_[k + 1];
          if (e == 'x' && k + 3 < s_.size()) {
            auto hv = [](char h) {
              return is_digit(h)                            ? h - '0'
                     : (lower(h) >= 'a' && lower(h) <= 'f') ? lower(h) - 87
                                                            : -1;
            };
            int a = hv(s_[k + 2]), b = hv(s_[k + 3]);
            if (a >= 0 && b >= 0) {
              w->push(static_cast<char>(a * 16 + b));
              k += 4;
              continue;
            }
          }
          w->push(e);
          k += 2;
          continue;
        }
        w->push(s_[k++]);
      }
      pos_ = k < s_.size() ? k + 1 : k;
      return;
    }
    if (c == '@' || c == '*') {
      // "$@" alone expands the argument list; inside a word ("c$@at") it usually vanishes.
      bool alone = w->len == 0 && (i + 1 >= s_.size() || is_blank(s_[i + 1]) ||
                                   is_operator(s_[i + 1]) || s_[i + 1] == '"');
      if (alone) flag("special parameter expansion", "$@");
      pos_ = i + 1;
      return;
    }
    if (c == '!' || c == '?' || c == '#' || c == '$' || c == '-' || is_digit(c)) {
      // Special and positional parameters: empty or a number, used to split keywords.
      pos_ = i + 1;
      return;
    }
    if (is_alpha(c) || c == '_') {
      size_t k = i;
      while (k < s_.size() && is_ident(s_[k])) ++k;
      std::string_view name = s_.substr(i, k - i);
      if (in_list(name, kShellVars)) {
        flag("shell variable expansion", "$VAR");
      } else if (w->len == 0 && name[0] >= 'A' && name[0] <= 'Z' &&
                 (k >= s_.size() || is_blank(s_[k]) || is_operator(s_[k]))) {
        w->var_only = true;
      } else if (w->len == 0 && assigned_before(name, i)) {
        // `c=cat;a=/etc/passwd;$c $a`, `c1=c;c2=a;c3=t;$c1$c2$c3`: the input defines the
        // variable itself and then expands it where a command name goes.
        w->var_only = true;
        w->assigned = true;
      }
      pos_ = k;
      return;
    }
    w->push('$');
    pos_ = i;
  }

  // True when `name=` appears as an assignment word earlier in the input (before `end`).
  bool assigned_before(std::string_view name, size_t end) const {
    std::string_view head = s_.substr(0, end);
    for (size_t p = head.find(name); p != std::string_view::npos; p = head.find(name, p + 1)) {
      const bool word_start = p == 0 || is_blank(head[p - 1]) || is_operator(head[p - 1]);
      if (word_start && p + name.size() < head.size() && head[p + name.size()] == '=') return true;
    }
    return false;
  }

  // Scans one token starting at pos_.
  Tok next(Word* w) {
    w->clear();
    while (pos_ < s_.size() && is_blank(s_[pos_])) ++pos_;
    if (pos_ >= s_.size()) return Tok::kEnd;
    char c = s_[pos_];
    auto peek = [&](size_t k) -> char { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; };
    switch (c) {
      case '\n':
        // A newline that starts the input is the classic "%0aid" break; inside text it is
        // mostly prose layout.
        ++pos_;
        return pos_ - 1 < first_nonblank_or_newline() ? Tok::kStrongSep : Tok::kNewline;
      case ';':
        pos_ += peek(1) == ';' ? 2 : 1;
        return Tok::kWeakSep;
      case '&':
        if (peek(1) == '&') {
          pos_ += 2;
          return Tok::kStrongSep;
        }
        if (peek(1) == '>') {
          pos_ += peek(2) == '>' ? 3 : 2;
          return Tok::kRedirect;
        }
        ++pos_;
        return Tok::kWeakSep;
      case '|':
        if (peek(1) == '|' || peek(1) == '&') {
          pos_ += 2;
          return Tok::kStrongSep;
        }
        ++pos_;
        return Tok::kPipe;
      case '(':
        if (pos_ == first_nonblank() && fn_definition(pos_)) {
          flag("function definition (shellshock)", "(){");
          return Tok::kEnd;
        }
        if (named_fn_definition_invoked(pos_)) {
          flag("function definition that is invoked (fork bomb)", "f(){");
          return Tok::kEnd;
        }
        // "f(x)" glued to a word is a function call in the host language, not a subshell.
        if (pos_ > 0 && !is_blank(s_[pos_ - 1]) && !is_operator(s_[pos_ - 1])) {
          ++pos_;
          return Tok::kGluedOpen;
        }
        ++pos_;
        return Tok::kOpen;
      case ')':
        ++pos_;
        return Tok::kClose;
      case '<':
      case '>': {
        if (c == '<' && is_alpha(peek(1))) {
          // "<nick>" / "<b>": a markup or chat tag, not two redirections.
          size_t k = pos_ + 1;
          while (k < s_.size() && (is_ident(s_[k]) || s_[k] == '-')) ++k;
          if (k < s_.size() && s_[k] == '>') {
            pos_ = k + 1;
            return next(w);
          }
        }
        if (peek(1) == '(') {
          // Process substitution <(cmd) / >(cmd).
          size_t end = match_paren(pos_ + 2);
          size_t start = pos_ + 2;
          pos_ = end < s_.size() ? end + 1 : end;
          nested(s_.substr(start, end - start));
          return found_ ? Tok::kEnd : Tok::kWord;
        }
        if (c == '<' && peek(1) == '<' && peek(2) == '<') {
          pos_ += 3;
          return Tok::kHereString;
        }
        if (peek(1) == '&') {
          pos_ += 2;
          size_t k = pos_;
          while (k < s_.size() && is_blank(s_[k])) ++k;
          if (k < s_.size() && (is_digit(s_[k]) || s_[k] == '-')) return Tok::kFdDup;
          return Tok::kRedirect;
        }
        pos_ += (peek(1) == c || peek(1) == '|') ? 2 : 1;
        return Tok::kRedirect;
      }
      default:
        break;
    }
    if (c == '#') {
      // A comment runs to the end of the line.
      while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      return next(w);
    }
    // A word: concatenation of unquoted, quoted and expanded parts up to a blank or operator.
    bool digits_only = true;
    const size_t word_start = pos_;
    const char open_quote = (c == '\'' || c == '"') ? c : 0;
    while (pos_ < s_.size() && !found_) {
      c = s_[pos_];
      if (is_blank(c) || is_operator(c)) break;
      if (c != '$' && !is_digit(c)) digits_only = false;
      if ((c == '\\' || c == '\'' || c == '"' || c == '$' || c == '`') && w->len > 0)
        w->split = true;
      if (c == '\\') {
        if (pos_ + 1 < s_.size()) {
          if (s_[pos_ + 1] != '\n') w->push(s_[pos_ + 1]);
          w->quoted = true;
        }
        pos_ += 2;
      } else if (c == '\'') {
        w->quoted = true;
        size_t end = s_.find('\'', pos_ + 1);
        if (end == std::string_view::npos) end = s_.size();
        for (size_t k = pos_ + 1; k < end; ++k) w->push(s_[k]);
        pos_ = end < s_.size() ? end + 1 : end;
      } else if (c == '"') {
        w->quoted = true;
        ++pos_;
        while (pos_ < s_.size() && s_[pos_] != '"' && !found_) {
          char d = s_[pos_];
          if (d == '\\' && pos_ + 1 < s_.size()) {
            w->push(s_[pos_ + 1]);
            pos_ += 2;
          } else if (d == '$') {
            dollar(w);
          } else if (d == '`') {
            backtick(w);
          } else {
            w->push(d);
            ++pos_;
          }
        }
        if (pos_ < s_.size()) ++pos_;
      } else if (c == '$') {
        dollar(w);
      } else if (c == '`') {
        backtick(w);
      } else {
        if (c == '?' || c == '*' || c == '[') w->has_glob = true;
        w->push(c);
        ++pos_;
      }
    }
    if (open_quote != 0 && pos_ - word_start >= 2) {
      // Closed right at the word's end, or left open at the end of the input (the app's own
      // closing quote will close it).
      size_t close = s_.find(open_quote, word_start + 1);
      w->fully_quoted = close == pos_ - 1 || close == std::string_view::npos;
    }
    // "2>" / "2>&1": a file descriptor number glued to a redirection operator.
    if (digits_only && w->len > 0 && pos_ < s_.size() && (s_[pos_] == '>' || s_[pos_] == '<'))
      return next(w);
    return Tok::kWord;
  }

  void backtick(Word* w) {
    size_t end = pos_ + 1;
    while (end < s_.size() && s_[end] != '`') end += s_[end] == '\\' ? 2 : 1;
    if (end >= s_.size()) {
      // Unterminated: the shell would wait for more input; the rest is not a command.
      w->push('`');
      ++pos_;
      return;
    }
    w->has_subst = true;
    nested(s_.substr(pos_ + 1, end - pos_ - 1),
           depth_ == 0 && !whole_text(pos_, end) && span_delimited(s_, pos_, end));
    pos_ = end + 1;
  }

  size_t first_nonblank_or_newline() const {
    size_t k = 0;
    while (k < s_.size() && (is_blank(s_[k]) || s_[k] == '\n')) ++k;
    return k;
  }

  size_t first_nonblank() const {
    size_t k = 0;
    while (k < s_.size() && is_blank(s_[k])) ++k;
    return k;
  }

  // "() {" at the start of a value: a function definition, the shellshock vector
  // (CVE-2014-6271), or ":(){ :|:& };:" style bombs.
  bool fn_definition(size_t at) const {
    size_t k = at + 1;
    while (k < s_.size() && is_blank(s_[k])) ++k;
    if (k >= s_.size() || s_[k] != ')') return false;
    ++k;
    while (k < s_.size() && is_blank(s_[k])) ++k;
    return k < s_.size() && s_[k] == '{';
  }

  static bool fn_name_char(char c) {
    return is_ident(c) || c == ':' || c == '.' || c == '-' || c == '@' || c == '%';
  }

  // "name() { ... }" and then `name` run as a command, in the body or after it:
  // ":(){ :|:& };:", "bomb(){ bomb|bomb& };bomb". A JavaScript method ("render() { return
  // render(); }") calls the name with parentheses, which a shell command never has.
  bool named_fn_definition_invoked(size_t at) const {
    size_t start = at;
    while (start > 0 && fn_name_char(s_[start - 1])) --start;
    if (start == at || !fn_definition(at)) return false;
    if (start > 0 && !is_blank(s_[start - 1]) && !is_operator(s_[start - 1])) return false;
    const std::string_view name = s_.substr(start, at - start);
    for (size_t k = s_.find('{', at); k != std::string_view::npos && k < s_.size();) {
      k = s_.find(name, k + 1);
      if (k == std::string_view::npos) break;
      size_t b = k;
      while (b > 0 && is_blank(s_[b - 1])) --b;
      const bool command_position = b > 0 && (is_operator(s_[b - 1]) || s_[b - 1] == '{');
      const size_t e = k + name.size();
      const bool ends = e >= s_.size() || is_blank(s_[e]) || (is_operator(s_[e]) && s_[e] != '(');
      if (command_position && ends && !fn_name_char(s_[k - 1])) return true;
    }
    return false;
  }

  std::string_view s_;
  std::string_view ctx_;
  int depth_;
  size_t pos_ = 0;
  bool found_ = false;
  bool backticks_ = false;   // the text is a `...` body inside prose (see evaluate())
  bool line_error_ = false;  // evaluate() saw '(' after a command's words: a syntax error
  std::optional<Finding> result_;
};

// Inside double quotes only $(...), `...`, ${...} and $VAR are live, up to the closing quote;
// after a quote break the rest is parsed bare.
// True when the shell would reject the line: `rest`, then the application's closing quote
// (`app_quote`, 0 for none), ends inside a quote. sh and bash parse a whole line before running
// any command of it, so "12 O'Connell St; apt 4" inside single quotes (`... St; apt 4'` leaves a
// quote open) runs nothing: "unexpected EOF while looking for matching `''". False for texts
// with an unquoted newline: the lines before it run on their own.
bool line_is_syntax_error(std::string_view rest, char app_quote) {
  char quote = 0;  // 0, '\'' or '"'
  bool word_start = true;
  auto feed = [&](size_t& i, std::string_view s) {
    const char c = s[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      return true;
    }
    if (quote == '"') {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quote = 0;
      return true;
    }
    if (c == '\\') {
      ++i;
      word_start = false;
      return true;
    }
    if (c == '\n') return false;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && word_start) {
      i = s.size();  // a comment eats the rest of the line, the application's quote included
      quote = 0;
      return true;
    }
    word_start = is_blank(c) || is_operator(c);
    return true;
  };
  for (size_t i = 0; i < rest.size(); ++i) {
    if (!feed(i, rest)) return false;
    if (i >= rest.size()) return false;  // comment to the end: the app's quote is eaten
  }
  if (app_quote != 0) {
    const char q[1] = {app_quote};
    size_t i = 0;
    feed(i, std::string_view(q, 1));
  }
  return quote != 0;
}

// The single-quote context's break is an apostrophe inside a word ("O'Connell", "don't") and the
// line would not parse with the application's closing quote: prose, not a break-out. Sloppy
// payloads ("' || whoami", "'; id") break with a quote outside a word and still count: scanners
// send them, and an application that builds the command without a closing quote runs them.
bool prose_apostrophe_break(std::string_view s, size_t q) {
  auto word_char = [](char c) {
    return is_alpha(c) || is_digit(c) || static_cast<unsigned char>(c) >= 0x80;
  };
  if (q == 0 || q + 1 >= s.size() || !word_char(s[q - 1]) || !word_char(s[q + 1])) return false;
  return line_is_syntax_error(s.substr(q + 1), '\'');
}

std::optional<Finding> double_quote_context(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') {
      Analyzer rest(s.substr(i + 1), "double-quote", 0);
      return rest.run(false, false);
    }
    if (c == '$' || c == '`') {
      // Reuse the word scanner on the live part: analyze from here as if it were a word.
      size_t end = i + 1;
      if (c == '`') {
        end = s.find('`', i + 1);
        if (end == std::string_view::npos) continue;
        Analyzer body(s.substr(i + 1, end - i - 1), "double-quote", 1);
        if ((s.find_first_not_of(" \t") != i || s.find_last_not_of(" \t") != end) &&
            span_delimited(s, i, end)) {
          body.set_backticks();
        }
        if (auto f = body.run(false, true)) return f;
        i = end;
        continue;
      }
      if (i + 1 < s.size() && (s[i + 1] == '(' || s[i + 1] == '{' || is_alpha(s[i + 1]))) {
        size_t stop = i + 1;
        while (stop < s.size() && s[stop] != '"' && !is_blank(s[stop])) ++stop;
        if (s[i + 1] == '(') stop = s.size();  // bodies may contain quotes and blanks
        Analyzer part(s.substr(i, stop - i), "double-quote", 0);
        if (auto f = part.run(false, false)) return f;
      }
    }
  }
  return std::nullopt;
}

Finding make_finding(std::string_view reason, std::string_view fp) {
  Finding f;
  f.detector = Detector::kShell;
  f.context = "bare";
  f.reason = reason;
  f.set_fingerprint(fp);
  return f;
}

// Constructs that run commands without any separator: server-side include exec directives,
// and cmd.exe %VAR% expansion (%COMSPEC%, %n1%: letters first, so "50%" prose never matches).
std::optional<Finding> standalone_constructs(std::string_view s) {
  for (size_t i = 0; i + 5 < s.size(); ++i) {
    if (s[i] == '<' && s.substr(i + 1, 4) == "!--#") {
      std::string_view d = s.substr(i + 5);
      if (istarts_with(d, "exec") || istarts_with(d, "include"))
        return make_finding("server-side include directive", "<!--#exec");
    }
  }
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] != '%' || !is_alpha(s[i + 1])) continue;
    size_t k = i + 1;
    while (k < s.size() && is_ident(s[k])) ++k;
    if (k < s.size() && s[k] == '%' && k - i >= 2) {
      // Both sides must be word boundaries: "a%b%c" in encoded junk is not a variable.
      bool left = i == 0 || !is_ident(s[i - 1]);
      bool right = k + 1 >= s.size() || !is_ident(s[k + 1]);
      if (left && right) return make_finding("cmd.exe variable expansion", "%VAR%");
    }
    i = k - 1;
  }
  return std::nullopt;
}

// Bytes that are plain word characters or blanks for Analyzer::next(): no operator (; & | < > ( )
// newline), quote, backslash, '$', '`', '#' comment, glob (? * [), brace, '=' (assignments),
// '-' (options), '/' and '~' (paths), ':' (drives, URLs) or '%' (cmd.exe variables).
constexpr bool is_plain_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ',' || c == '.' || c == '!' || c == '@' || c == ' ' || c == '\t' || c == '\r' ||
         c == '\f' || c == '\v';
}

}  // namespace

// Why this is exact: with only plain bytes, standalone_constructs() needs '<' or '%', and the
// single- and double-quote contexts need ', ", $ or `; they find nothing. The bare Analyzer sees
// one simple command of unquoted, unsplit words (no separator, so sep == kNone; no
// substitution; no assignment without '='), evaluated once with first == true. Its rules:
// cmd_exe_statement() needs words[0] to be FOR (then a '/' or '%' word) or IF; the command
// index moves past words[0] only when it is a prefix word; "sleep N" needs the command to be
// "sleep"; "prefix + strong command" needs a prefix word; "command + shell-like argument" needs
// an argument starting with '-', '/', '~', "./", a drive "X:", holding "://" or "=/", or being
// digits and dots, which that rule excludes; the executable-path rule needs '/' or a glob. So
// when words[0] is neither IF, sleep nor a prefix word (compared case-insensitively, a superset),
// nothing fires. A word longer than kMaxWord is truncated, and its prefix cannot equal those.
bool shell_may_fire_on_words(std::string_view s) {
  s = up_to_nul(s);  // as detect_shell() reads it
  size_t i = 0;
  for (char c : s) {
    if (!is_plain_word_byte(static_cast<unsigned char>(c))) return true;
  }
  while (i < s.size() && is_blank(s[i])) ++i;
  size_t j = i;
  while (j < s.size() && !is_blank(s[j])) ++j;
  std::string_view first = s.substr(i, j - i);
  if (iequals(first, "if") || iequals(first, "sleep")) return true;
  for (std::string_view p : kPrefixWords) {
    if (iequals(first, p)) return true;
  }
  return false;
}

namespace {

// A word (a run between blanks and operators) that could make a simple command fire: see
// shell_may_fire_on_commands().
// Every name a word can be compared with (command lists, prefix words, shell functions, cmd.exe
// statements), matched case-insensitively: a superset of each exact or case-insensitive check,
// in one hash lookup.
template <size_t... N>
constexpr auto concat_names(const std::string_view (&... lists)[N]) {
  std::array<std::string_view, (N + ...)> out{};
  size_t k = 0;
  ((std::copy(std::begin(lists), std::end(lists), out.begin() + k), k += N), ...);
  return out;
}
constexpr std::string_view kStatementWords[] = {"for", "if", "if/i"};
constexpr auto kTriggerNames = concat_names(kStrongCommands, kWeakCommands, kWindowsCommands,
                                            kPrefixWords, kShellFunctions, kStatementWords);

class CaseFoldedNameSet {
 public:
  constexpr CaseFoldedNameSet() {
    for (size_t i = 0; i < kTriggerNames.size(); ++i) {
      size_t slot = hash(kTriggerNames[i]) & (kSlots - 1);
      while (index_[slot] != 0) slot = (slot + 1) & (kSlots - 1);
      index_[slot] = static_cast<uint16_t>(i + 1);
    }
  }
  bool contains(std::string_view s) const {
    for (size_t slot = hash(s) & (kSlots - 1); index_[slot] != 0;
         slot = (slot + 1) & (kSlots - 1)) {
      if (iequals_ascii(kTriggerNames[index_[slot] - 1], s)) return true;
    }
    return false;
  }

 private:
  static constexpr size_t kSlots = 2048;
  static_assert(kTriggerNames.size() * 4 <= kSlots);
  static constexpr char fold(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  static constexpr bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (fold(a[i]) != fold(b[i])) return false;
    }
    return true;
  }
  static constexpr uint32_t hash(std::string_view s) {
    uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<unsigned char>(fold(c))) * 16777619u;
    return h;
  }
  std::array<uint16_t, kSlots> index_{};
};
constexpr CaseFoldedNameSet kTriggerSet;

bool word_may_name_command(std::string_view w) {
  if (w.size() > kMaxWord) return true;  // truncated by Word::push: do not reason about it
  bool slash = false;
  for (char c : w) slash |= c == '/' || c == '\\';
  if (slash) {
    // command_strength() only names a path that is anchored (/x, \x, ./x, ../x, C:x); cmd.exe
    // "IF/I" is the one statement word with a slash.
    bool anchored = w[0] == '/' || w[0] == '\\' || w[0] == '.' ||
                    (w.size() > 1 && is_alpha(w[0]) && w[1] == ':');
    return anchored || iequals(w, "if/i");
  }
  // command_strength() looks the name up without a ".exe" suffix; the other roles use it whole.
  if (kTriggerSet.contains(w)) return true;
  return w.size() > 4 && istarts_with(w.substr(w.size() - 4), ".exe") &&
         kTriggerSet.contains(w.substr(0, w.size() - 4));
}

}  // namespace

// Why this is exact: without $ ` < > ' " \ # { } % ? * [, standalone_constructs() (needs '<' or
// '%') and the quote contexts (need ', ", $ or `) find nothing, and the bare Analyzer sees only
// words of literal bytes (no quoting, expansion, substitution, glob, brace list or comment),
// separators ; & | ( ) newline, and no redirection, here-string or function definition. It can
// then only flag from evaluate() (or the glued call of a shell function), which needs, in some
// simple command, words[0] to be FOR / IF / IF/I, a shell function name before '(', or a
// command word (after assignments and prefix words) with command_strength() != kNone: a name in
// the strong / weak lists or, lower-cased, the cmd.exe list (after dropping ".exe"), or an
// anchored path. word_may_name_command() accepts every word that could play any of those roles.
bool shell_may_fire_on_commands(std::string_view s) {
  s = up_to_nul(s);  // as detect_shell() reads it
  for (char c : s) {
    switch (c) {
      case '$':
      case '`':
      case '<':
      case '>':
      case '\'':
      case '"':
      case '\\':
      case '#':
      case '{':
      case '}':
      case '%':
      case '?':
      case '*':
      case '[':
        return true;
      default:
        break;
    }
  }
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (is_blank(s[i]) || is_operator(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !is_blank(s[j]) && !is_operator(s[j])) ++j;
    if (j > i && word_may_name_command(s.substr(i, j - i))) return true;
    i = j;
  }
  return false;
}

std::optional<Finding> detect_shell(std::string_view decoded) {
  decoded = up_to_nul(decoded);
  if (auto f = standalone_constructs(decoded)) return f;
  {
    Analyzer bare(decoded, "bare", 0);
    if (auto f = bare.run(true, false)) return f;
  }
  if (size_t q = decoded.find('\'');
      q != std::string_view::npos && !prose_apostrophe_break(decoded, q)) {
    Analyzer after(decoded.substr(q + 1), "single-quote", 0);
    if (auto f = after.run(false, false)) return f;
  }
  if (has_any_of(decoded, "\"$`")) {
    if (auto f = double_quote_context(decoded)) return f;
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
