// Path traversal detector (CWE-22, CWE-23, CWE-36, CWE-158): would this decoded input, used as
// (part of) a file path by the application, reach outside the directory the app meant?
//
// The input is split into path-like tokens (whitespace, quotes, '<', '>', '=', '&', '(', ')', ','
// end a token) and each token is walked segment by segment with both '/' and '\' as separators.
// It fires on:
//  - ".." segments (also "..;x" Tomcat path parameters, "..." Windows dot runs, trailing blanks)
//    that take the depth below the token's start: "../x", "a/../../x", "/../etc";
//  - an absolute path into a system root with at least one component below it ("/etc/passwd",
//    "/./proc/self/environ", "/home/u/.aws/credentials"), a drive path ("C:\", "c:/windows"),
//    a root-relative Windows system path ("\windows\win.ini"), a UNC path ("\\host\share"),
//    "~root" / "~/.ssh" home references;
//  - a relative path ending in a well-known sensitive file ("etc/passwd", "boot.ini",
//    "windows/system32/...");
//  - a NUL byte after a file-name-like prefix ("shell.php\0.jpg" truncation);
//  - file:, php:, phar:, zip:, expect:, glob: stream URLs.
// It does not fire on relative paths that stay inside ("a/../b"), ordinary file names, prose
// ellipses, http(s) URLs to ordinary paths, dates (12/05/2026) or fractions (1/2).
//
// Pure function: no allocation, never reads past decoded.size(), needs no terminator.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

std::optional<Finding> detect_path(std::string_view decoded);

}  // namespace portcullis::rules
