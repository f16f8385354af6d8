// Reader: walks a yaml-cpp node tree for the section parsers and turns every problem into a
// positioned message "file:line:col: path: reason" (1-based). It collects all errors instead of
// stopping at the first, so one run of `portcullis --check-config` shows every typo at once
// (HAProxy counts errors the same way). No yaml-cpp exception escapes it: scalars are read as
// text and converted by the grammars in values.h.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/result.h"

namespace portcullis::config {

// One `key: value` of a mapping (or one item of a list), with where it came from.
struct Entry {
  std::string path;  // "limits.max_headers", "listen[1]", "" for the root
  YAML::Node value;
  YAML::Mark key_mark;
  // The value's position; yaml-cpp gives an empty value ("key:") the position of the next token,
  // so those point at the key instead.
  YAML::Mark value_mark() const;
};

class Reader {
 public:
  static constexpr size_t kMaxErrors = 20;  // bounded output for a hopelessly broken file

  explicit Reader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  void error_at(const YAML::Mark& mark, std::string_view reason);
  std::string location(const YAML::Mark& mark) const;  // "file:line:col" (1-based)
  // "file:line:col: <path>: reason" at the entry's value.
  void error_in(const Entry& e, std::string_view reason);
  // Errors that have no position in the file (environment overrides).
  void error(std::string reason);
  bool ok() const { return errors_.empty(); }
  Error to_error() const;  // all errors, one per line

  // Visits each key of the mapping `section` (an empty value counts as an empty mapping). A key
  // not in `allowed` is an error with a "did you mean" suggestion, a duplicate key is an error
  // (yaml-cpp keeps both silently). `name` is the section name in messages ("root", "limits").
  void for_each_key(const Entry& section, std::string_view name,
                    std::span<const std::string_view> allowed,
                    const std::function<void(std::string_view key, const Entry&)>& visit);

  // Visits each item of a list; when `scalar_is_list`, a single scalar is a one-item list.
  void for_each_item(const Entry& e, bool scalar_is_list,
                     const std::function<void(const Entry& item)>& visit);

  // The scalar text of the entry, or an error "expected <what>, got a list".
  std::optional<std::string> scalar(const Entry& e, std::string_view what);

  // scalar() + a grammar from values.h; records where the key was set on success.
  template <typename T, typename Parse>
  bool read(const Entry& e, std::string_view what, Parse&& parse, T* out) {
    std::optional<std::string> text = scalar(e, what);
    if (!text) return false;
    auto parsed = parse(std::string_view(*text));
    if (!parsed.ok()) {
      error_in(e, parsed.error().reason);
      return false;
    }
    *out = static_cast<T>(std::move(parsed).value());
    mark_set(e);
    return true;
  }

  // An integer (or with `size_units`, a size like "16k") in [min, max].
  template <typename T>
  bool read_number(const Entry& e, bool size_units, uint64_t min, uint64_t max, T* out) {
    uint64_t v = 0;
    if (!read_u64(e, size_units, min, max, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }

  // Records where `e.path` was set ("file:line:col"): stage limits inherit unset values, and
  // cross-section checks point at the line that caused them.
  void mark_set(const Entry& e);
  // Same for a value that came from elsewhere, e.g. where = "PORTCULLIS_LISTEN".
  void mark_set(std::string path, std::string where) {
    set_at_[std::move(path)] = std::move(where);
  }
  const std::string* set_at(std::string_view path) const;
  // "<where path was set>: <path>: reason", or "<source>: <path>: reason" for a default value.
  void error_for(std::string_view path, std::string_view reason);

 private:
  bool read_u64(const Entry& e, bool size_units, uint64_t min, uint64_t max, uint64_t* out);

  std::string source_;
  std::vector<std::string> errors_;
  size_t dropped_errors_ = 0;
  std::map<std::string, std::string, std::less<>> set_at_;
};

std::string_view node_kind(const YAML::Node& node);  // "a list", "a map", "a scalar", "nothing"

}  // namespace portcullis::config
