// Server-side template / expression-language injection (PortSwigger "SSTI" research; OWASP WSTG
// 4.7.18) and Log4Shell (CVE-2021-44228) lookups.
//
// Template delimiters alone are not flagged: `${name}` or `{{ title }}` is a placeholder, harmless
// when it is merely echoed. We flag a delimiter whose inside has EXPRESSION syntax, judged on JS
// lexer tokens: arithmetic with a number (`7*7`, the classic probe), a call (`config.items()`,
// `T(java.lang.Runtime)`), Python dunder access (`__class__`, `__globals__`), OGNL `#ctx` /
// `@class@member`, Jinja filters used for gadget building (`|attr`, `|join`), and the template
// globals that leak secrets by themselves (`{{config}}`, `{{self}}`, `{{request...}}`).
// Also: Jinja/Twig statement tags, Freemarker directives, Velocity `#set($`, SSI `<!--#exec`,
// ESI `<esi:include>`, and Log4j `${jndi:...}` with nested-lookup obfuscation resolved.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric; context is one of "log4j", "template", "el", "ssi",
// "esi".
std::optional<Finding> detect_template_injection(std::string_view decoded);

// Only the `{{ ... }}` family (client-side template injection, e.g. the AngularJS sandbox escape
// `{{constructor.constructor('alert(1)')()}}`). Used by the XSS detector; detector == kXss.
std::optional<Finding> detect_client_template_injection(std::string_view decoded);

}  // namespace portcullis::rules
