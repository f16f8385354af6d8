// JS code injection, in the spirit of Aikido Zen's check (zen-internals js_injection): an input is
// an injection when, embedded in JS code, it escapes its literal and forms statements. Without the
// sink we try each plausible embedding: inside '...', "..." and `...` literals, and bare.
//
//  * Quoted: the first quote of the literal's kind ends the literal. The rest must lex as valid
//    JS (no two adjacent operands, no stray bytes) AND leave the sink's closing quote harmless
//    (the input ends in a comment or in an open literal of the same quote, as `x'+alert(1)+'`
//    does); it fires on a call, on boolean operators, or on structure (`;`, `)`, `}`) ended by a
//    comment. Prose fails the adjacency check almost at once ("it's a dog" -> `s a`).
//  * Bare: the whole input must be valid JS and call or reach into a capability (require,
//    process, eval, Function, constructor, fetch, alert, child_process, ...). Plain arithmetic
//    such as `1 + 1` or `-3.14` never fires. Browser globals (document, window, top, parent,
//    frames, navigator) count only through a sensitive member (document.cookie, document.write,
//    window.open, window.alert) or a computed member that is not a plain literal
//    (top[/al/.source+/ert/.source], top['al\x65rt']): `document.getElementById('x')` is what
//    every pasted snippet does.
//  * Bare, server side (context "code-bare"): the same valid-code test, calling a function that
//    runs commands, evaluates code or reads/writes files in PHP, Python or Java (system,
//    passthru, phpinfo, __import__, subprocess, getRuntime, ...; exact lower-case spelling, so
//    `System.out.println(x)` is not one) or a PHP variable function (`$f(1)`, `$$b(2)`: the
//    web-shell idiom; `$(...)` is jQuery and `$25 (USD)` a price).
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Full JS check (bare and quoted contexts). Finding.detector == Detector::kGeneric.
std::optional<Finding> detect_js_injection(std::string_view decoded);

// Quoted contexts only, and only when a call follows the break (`";alert(1);//`). Used by the XSS
// detector for inputs that land inside a string in a <script> block. Finding.detector == kXss.
std::optional<Finding> detect_js_string_breakout(std::string_view decoded);

// Bare context only: valid JS that calls a capability (`top['al'+'ert'](1)`, alert`1`). Used by
// the XSS detector for inputs that land in a <script> block as code. detector == kXss.
std::optional<Finding> detect_js_bare_capability(std::string_view decoded);

// True when `code` alone is valid JS (per the shape rules above) that calls something, e.g. the
// body of a `javascript:` URL. "The Good Parts" is not; "alert(1)" is.
bool is_js_call_shape(std::string_view code);

}  // namespace portcullis::rules
