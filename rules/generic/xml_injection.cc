#include "rules/generic/xml_injection.h"

namespace portcullis::rules {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

std::string_view skip_space(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}

// Reads an XML Name (sec. 2.3); returns it and advances s past it.
std::string_view read_name(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && is_name_char(s[i])) ++i;
  std::string_view n = s.substr(0, i);
  s.remove_prefix(i);
  return n;
}

// After `<!ENTITY`: EntityDecl ::= '<!ENTITY' S ['%' S] Name S EntityDef (sec. 4.2).
std::optional<Finding> check_entity_decl(std::string_view s) {
  if (s.empty() || !is_space(s[0])) return std::nullopt;
  s = skip_space(s);
  bool parameter = false;
  if (!s.empty() && s[0] == '%') {
    parameter = true;
    s = skip_space(s.substr(1));
  }
  std::string_view name = read_name(s);
  if (name.empty()) return std::nullopt;
  s = skip_space(s);
  if (istarts_with(s, "SYSTEM") || istarts_with(s, "PUBLIC")) {
    return make_finding(Detector::kGeneric, "xml",
                        parameter ? "external parameter entity" : "external entity declaration",
                        "<!ENTITY SYSTEM");
  }
  if (parameter)
    return make_finding(Detector::kGeneric, "xml", "parameter entity declaration", "<!ENTITY %");
  if (!s.empty() && (s[0] == '"' || s[0] == '\'')) {
    return make_finding(Detector::kGeneric, "xml", "entity declaration in DTD subset", "<!ENTITY");
  }
  return std::nullopt;
}

// After `<!DOCTYPE`: doctypedecl ::= '<!DOCTYPE' S Name (S ExternalID)? S? ('[' intSubset ']')?
std::optional<Finding> check_doctype(std::string_view s) {
  if (s.empty() || !is_space(s[0])) return std::nullopt;
  s = skip_space(s);
  std::string_view root = read_name(s);
  if (root.empty()) return std::nullopt;
  s = skip_space(s);
  if (istarts_with(s, "SYSTEM"))
    return make_finding(Detector::kGeneric, "xml", "external DTD (SYSTEM)", "<!DOCTYPE SYSTEM");
  // `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML..." ...>` is an ordinary HTML page header.
  if (istarts_with(s, "PUBLIC") && !istarts_with(root, "html")) {
    return make_finding(Detector::kGeneric, "xml", "external DTD (PUBLIC)", "<!DOCTYPE PUBLIC");
  }
  if (!s.empty() && s[0] == '[') {
    std::string_view subset = skip_space(s.substr(1));
    if (istarts_with(subset, "<!ENTITY") || istarts_with(subset, "<!ELEMENT") ||
        istarts_with(subset, "<!ATTLIST") || (!subset.empty() && subset[0] == '%')) {
      return make_finding(Detector::kGeneric, "xml", "internal DTD subset", "<!DOCTYPE [");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Finding> detect_xml_injection(std::string_view in) {
  size_t pos = 0;
  while ((pos = in.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = in.substr(pos + 1);
    ++pos;
    if (istarts_with(rest, "!ENTITY")) {
      if (auto f = check_entity_decl(rest.substr(7))) return f;
    } else if (istarts_with(rest, "!DOCTYPE")) {
      if (auto f = check_doctype(rest.substr(8))) return f;
    } else {
      // Element names: XInclude (W3C XInclude 1.0) and XSLT. The prefix is conventional but the
      // local names are what the processors act on.
      std::string_view r = rest;
      std::string_view name = read_name(r);
      size_t colon = name.rfind(':');
      std::string_view prefix = colon == std::string_view::npos ? "" : name.substr(0, colon);
      std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
      if (istarts_with(local, "include") && local.size() == 7 && !prefix.empty() &&
          !istarts_with(prefix, "esi")) {
        return make_finding(Detector::kGeneric, "xml", "XInclude element", "<xi:include");
      }
      if (istarts_with(prefix, "xsl") &&
          (istarts_with(local, "stylesheet") || istarts_with(local, "transform") ||
           istarts_with(local, "value-of") || istarts_with(local, "copy-of") ||
           istarts_with(local, "template"))) {
        return make_finding(Detector::kGeneric, "xml", "XSLT stylesheet", "<xsl:");
      }
    }
  }
  // A namespace declaration of XInclude or XSLT on any element: in an XML body the element names
  // are not inputs, but the declaration's value (`xmlns:xsl="..."`) is, and a stylesheet the
  // server runs reaches extension functions (Xalan, Saxon: Runtime.exec) and the file system.
  if (in.find("http://www.w3.org/2001/XInclude") != std::string_view::npos) {
    return make_finding(Detector::kGeneric, "xml", "XInclude namespace", "XInclude");
  }
  if (in.find("http://www.w3.org/1999/XSL/Transform") != std::string_view::npos) {
    return make_finding(Detector::kGeneric, "xml", "XSLT namespace", "XSL/Transform");
  }
  return std::nullopt;
}

}  // namespace portcullis::rules
