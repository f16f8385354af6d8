// A validator for the subset of JSON Schema that docs/audit-event.schema.json uses: type, required,
// properties, additionalProperties: false, enum, pattern, maxLength, minimum, maximum, items.
// Test-only (std::regex, allocations). Returns the list of violations, empty when valid.
#pragma once

#include <simdjson.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace portcullis::audit::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class SchemaValidator {
 public:
  explicit SchemaValidator(const std::string& schema_json) : schema_text_(schema_json) {
    auto r = schema_parser_.parse(schema_text_);
    ok_ = !r.error();
    if (ok_) schema_ = r.value();
  }
  bool loaded() const { return ok_; }

  std::vector<std::string> validate(const std::string& json) {
    std::vector<std::string> errs;
    simdjson::dom::element doc;
    auto r = doc_parser_.parse(json);
    if (r.error()) {
      errs.push_back("not JSON: " + std::string(simdjson::error_message(r.error())));
      return errs;
    }
    check(schema_, r.value(), "$", errs);
    return errs;
  }

 private:
  static bool type_is(simdjson::dom::element v, std::string_view t) {
    using simdjson::dom::element_type;
    auto et = v.type();
    if (t == "object") return et == element_type::OBJECT;
    if (t == "array") return et == element_type::ARRAY;
    if (t == "string") return et == element_type::STRING;
    if (t == "boolean") return et == element_type::BOOL;
    if (t == "integer") return et == element_type::INT64 || et == element_type::UINT64;
    if (t == "number") {
      return et == element_type::INT64 || et == element_type::UINT64 || et == element_type::DOUBLE;
    }
    return false;
  }
  static size_t code_points(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  void check(simdjson::dom::element schema, simdjson::dom::element v, const std::string& at,
             std::vector<std::string>& errs) {
    simdjson::dom::object s;
    if (schema.get_object().get(s)) return;
    std::string_view type;
    if (!s["type"].get_string().get(type) && !type_is(v, type)) {
      errs.push_back(at + ": expected " + std::string(type));
      return;
    }
    simdjson::dom::array en;
    if (!s["enum"].get_array().get(en)) {
      bool found = false;
      for (auto e : en) {
        std::string_view a, b;
        if (!e.get_string().get(a) && !v.get_string().get(b) && a == b) found = true;
      }
      if (!found) errs.push_back(at + ": not in enum");
    }
    std::string_view str;
    if (!v.get_string().get(str)) {
      std::string_view pattern;
      if (!s["pattern"].get_string().get(pattern) &&
          !std::regex_search(std::string(str), std::regex(std::string(pattern)))) {
        errs.push_back(at + ": does not match " + std::string(pattern));
      }
      int64_t max = 0;
      if (!s["maxLength"].get_int64().get(max) && code_points(str) > static_cast<size_t>(max)) {
        errs.push_back(at + ": longer than " + std::to_string(max));
      }
    }
    int64_t num = 0;
    if (!v.get_int64().get(num)) {
      int64_t lim = 0;
      if (!s["minimum"].get_int64().get(lim) && num < lim) errs.push_back(at + ": below minimum");
      if (!s["maximum"].get_int64().get(lim) && num > lim) errs.push_back(at + ": above maximum");
    }
    simdjson::dom::array arr;
    simdjson::dom::element items;
    if (!v.get_array().get(arr) && !s["items"].get(items)) {
      size_t i = 0;
      for (auto e : arr) check(items, e, at + "[" + std::to_string(i++) + "]", errs);
    }
    simdjson::dom::object obj;
    if (!v.get_object().get(obj)) {
      simdjson::dom::array req;
      if (!s["required"].get_array().get(req)) {
        for (auto k : req) {
          std::string_view key;
          simdjson::dom::element tmp;
          if (!k.get_string().get(key) && obj[key].get(tmp)) {
            errs.push_back(at + ": missing " + std::string(key));
          }
        }
      }
      simdjson::dom::object props;
      bool has_props = !s["properties"].get_object().get(props);
      bool allowed = true;
      bool closed = !s["additionalProperties"].get_bool().get(allowed) && !allowed;
      for (auto field : obj) {
        simdjson::dom::element sub;
        if (has_props && !props[field.key].get(sub)) {
          check(sub, field.value, at + "." + std::string(field.key), errs);
        } else if (closed) {
          errs.push_back(at + ": unexpected property " + std::string(field.key));
        }
      }
    }
  }

  std::string schema_text_;
  simdjson::dom::parser schema_parser_;
  simdjson::dom::parser doc_parser_;
  simdjson::dom::element schema_;
  bool ok_ = false;
};

inline std::string schema_path() {
  return std::string(PORTCULLIS_SOURCE_DIR) + "/docs/audit-event.schema.json";
}

}  // namespace portcullis::audit::testing
