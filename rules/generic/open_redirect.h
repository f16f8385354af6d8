// Open redirect and URL-confusion payloads (CWE-601): an input used as a redirect target or a
// link is dangerous when a browser or HTTP client reads it as "another host" while an
// application's check ("starts with /", "contains our domain") reads it as local or trusted.
// WHATWG URL parsing is the reference: it drops tab/CR/LF, treats '\' as '/' in special schemes,
// and accepts any number of slashes (or none) after `http:`. Fires on:
//   * scheme-relative targets: two or more of '/' '\' then a host (`//evil.example`,
//     `/\evil.example`, `\\/evil.example/x`, `/%09/evil.example` after decoding);
//   * a special scheme without its exact `//` (`http:evil.example`, `https:///evil.example`,
//     `http:\\evil.example`);
//   * a userinfo that spells a host (`https://trusted.example@evil.example/`);
//   * an IPv4 host in a legacy spelling (hex, octal, dword, short forms: `http://0xd8.3856078`),
//     which no person writes and which exists to slip past allow-lists.
// A plain `https://example.com/path`, a local path `/account`, a UNC-less `//comment` or prose
// never fire. The input must already be decoded. Pure, allocation-free.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "redirect".
std::optional<Finding> detect_open_redirect(std::string_view decoded);

}  // namespace portcullis::rules
