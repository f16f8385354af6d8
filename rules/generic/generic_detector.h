// The "generic" detector: injections that are neither SQL, shell, path, SSRF, NoSQL nor prototype
// pollution, but target a server-side interpreter all the same. It runs, in order:
//   detect_xml_injection      XXE, DTD subsets, XInclude, XSLT           context "xml"
//   detect_template_injection SSTI, EL/OGNL, Log4Shell, SSI, ESI          "template" "el" "log4j"
//                                                                         "ssi" "esi"
//   detect_js_injection       JS code injection (Zen style), server-side  "js-*" "code-bare"
//                             code-execution calls (PHP/Python/Java)
//   detect_header_injection   CRLF response splitting                     "header"
//   detect_mail_injection     SMTP/IMAP/POP3 commands after a line break  "mail"
//   detect_ldap_injection     LDAP search-filter break-out                "ldap"
//   detect_format_string      printf format-string injection              "format"
//   detect_deserialization    PHP/Java/.NET serialized objects            "deserialization"
//   detect_open_redirect      open redirect / URL confusion               "redirect"
// The input must already be decoded (percent, entities, ...). Pure, allocation-free, no globals.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

std::optional<Finding> detect_generic(std::string_view decoded);

}  // namespace portcullis::rules
