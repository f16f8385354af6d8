// Shell injection detector (CWE-78), Zen-style: would this decoded input, pasted into a command
// line by the application, add shell structure? A proxy does not see the command, so the input
// is tried in the three places an app puts it: bare (`cmd INPUT`), inside single quotes
// (`cmd 'INPUT'`: only a quote break matters) and inside double quotes (`cmd "INPUT"`: `$(`,
// backticks and `${` stay live, and a quote break matters).
//
// The input is tokenized like a POSIX shell (quotes, backslash escapes, operators, `$(...)`,
// backticks, `${...}`, `$IFS` as a blank, `{a,b}` brace lists) and words are normalized the
// way the shell would see them (w'h'o'a'm'i -> whoami, c\at -> cat, c$@at -> cat). It fires on:
//  - a command separator (; & && || | |& newline) followed by a command that runs: a known
//    binary (distinctive names like whoami, wget, nc fire alone; English-word names like cat,
//    sleep, echo, find need a shell-like argument: an option, a path, a number or nothing), an
//    absolute or relative path to an executable, a wildcard path (/???/c?t), or an expansion;
//  - command substitution ($(...), backticks, <(...)) whose body starts with such a command;
//  - redirection to or from a system path or a file descriptor (> /etc/passwd, 2>&1);
//  - parameter / arithmetic expansion (${IFS}, ${USER}, $[1+1], $((..)) and well-known shell
//    variables ($IFS, $PATH, $HOME...), and function definitions (shellshock "() {", fork bombs);
//  - an input that is itself a command line: a known binary plus a shell-like argument.
// Not flagged: "Tom & Jerry; the sequel", "rock & roll", "costs $5", e-mail addresses, phone
// numbers, "a | b" where b is not a command, apostrophes in prose.
//
// Pure function: no heap allocation (fixed-size scratch on the stack), bounded recursion.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

std::optional<Finding> detect_shell(std::string_view decoded);

// Exact prefilter for plain prose (rules/inspect/prefilter.h): false only when detect_shell()
// provably returns nothing, i.e. the text holds only [A-Za-z0-9_,.!@] and blanks (no operator,
// quote, expansion, glob, '-', '/', ':', '%', '<' or newline) and its first word can start none
// of the rules that fire on a lone simple command. Kept next to the detector so a rule change
// updates its proof (see the .cc).
bool shell_may_fire_on_words(std::string_view decoded);

// Exact prefilter for texts without shell quoting, expansion, redirection, globs or comments
// ($ ` < > ' " backslash # { } % ? * [): false only when no word of any simple command can name
// a command, a cmd.exe FOR/IF statement or a shell-calling function, so detect_shell() returns
// nothing. User agents and most prose with punctuation land here.
bool shell_may_fire_on_commands(std::string_view decoded);

}  // namespace portcullis::rules
