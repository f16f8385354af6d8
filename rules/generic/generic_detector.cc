#include "rules/generic/generic_detector.h"

#include "rules/generic/deserialization.h"
#include "rules/generic/format_string.h"
#include "rules/generic/header_injection.h"
#include "rules/generic/js_injection.h"
#include "rules/generic/ldap_injection.h"
#include "rules/generic/mail_injection.h"
#include "rules/generic/open_redirect.h"
#include "rules/generic/template_injection.h"
#include "rules/generic/xml_injection.h"

namespace portcullis::rules {

std::optional<Finding> detect_generic(std::string_view decoded) {
  if (auto f = detect_xml_injection(decoded)) return f;
  if (auto f = detect_template_injection(decoded)) return f;
  if (auto f = detect_js_injection(decoded)) return f;
  if (auto f = detect_header_injection(decoded)) return f;
  if (auto f = detect_mail_injection(decoded)) return f;
  if (auto f = detect_ldap_injection(decoded)) return f;
  if (auto f = detect_format_string(decoded)) return f;
  if (auto f = detect_deserialization(decoded)) return f;
  return detect_open_redirect(decoded);
}

}  // namespace portcullis::rules
