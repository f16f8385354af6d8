#include "rules/custom/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace portcullis::rules::custom {
namespace {

constexpr size_t kMaxFileBytes = 4u << 20;
constexpr size_t kMaxIdBytes = 64;

std::string at(std::string_view source, const YAML::Mark& m) {
  return std::string(source) + ":" + std::to_string(m.line + 1);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Expands shorthands and checks that a glob names a location the extractor produces, so a typo
// ("querry:id") fails at load instead of silently never matching.
Result<std::string> parse_input(std::string_view text) {
  if (text == "query") return std::string("query:*");
  if (text == "headers") return std::string("header:*");
  if (text == "cookies") return std::string("cookie:*");
  if (text == "body") return std::string("body*");
  if (text == "*" || text == "path") return std::string(text);
  std::string s(text);
  constexpr std::array<std::string_view, 6> kPrefixes{
      "query:", "path:", "cookie:", "header:", "body.", "*"};
  bool known = text == "body" || text.starts_with("body*");
  for (std::string_view p : kPrefixes) known = known || text.starts_with(p);
  if (!known) {
    return make_error("unknown input '" + s.substr(0, 64) +
                      "' (expected query, path, headers, cookies, body, or a location glob such "
                      "as query:*, path:*, header:user-agent, cookie:sid, body.json:*)");
  }
  if (text.starts_with("header:")) {
    // Header names are case-insensitive (RFC 9110 5.1); the extractor reports them lowercase.
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

Result<RuleAction> parse_action(std::string_view text) {
  if (text == "block") return RuleAction::kBlock;
  if (text == "monitor") return RuleAction::kMonitor;
  if (text == "allow") return RuleAction::kAllow;
  return make_error("action must be block, monitor or allow, got '" +
                    std::string(text.substr(0, 32)) + "'");
}

// One rule mapping. `prefix` is "file:line: " of the rule's start, for errors without a better
// position.
Result<RuleSpec> parse_rule(const YAML::Node& node, std::string_view source) {
  RuleSpec r;
  r.file = std::string(source);
  r.line = static_cast<uint32_t>(node.Mark().line + 1);
  if (!node.IsMap()) return make_error(at(source, node.Mark()) + ": a rule must be a mapping");
  // The id first, so every later error can name the rule.
  const YAML::Node id = node["id"];
  if (!id || !id.IsScalar()) return make_error(at(source, node.Mark()) + ": rule without an id");
  r.id = id.Scalar();
  if (!valid_id(r.id)) {
    return make_error(at(source, id.Mark()) + ": rule id '" + r.id.substr(0, 64) +
                      "' must be 1-64 characters of A-Z a-z 0-9 _ - .");
  }
  auto fail = [&](const YAML::Node& where, const std::string& why) {
    return make_error(at(source, where.Mark()) + ": rule '" + r.id + "': " + why);
  };
  bool has_pattern = false, has_inputs = false, has_action = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "id") continue;
    if (key == "description") {
      if (!v.IsScalar()) return fail(v, "description must be a string");
      r.description = v.Scalar();
    } else if (key == "pattern") {
      if (!v.IsScalar() || v.Scalar().empty()) return fail(v, "pattern must be a non-empty string");
      r.pattern = v.Scalar();
      has_pattern = true;
    } else if (key == "action") {
      if (!v.IsScalar()) return fail(v, "action must be block, monitor or allow");
      auto a = parse_action(v.Scalar());
      if (!a.ok()) return fail(v, a.error().reason);
      r.action = *a;
      has_action = true;
    } else if (key == "priority") {
      int64_t p = 0;
      const std::string& s = v.IsScalar() ? v.Scalar() : std::string();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size() || p < -1000000 ||
          p > 1000000) {
        return fail(v, "priority must be an integer in [-1000000, 1000000]");
      }
      r.priority = static_cast<int32_t>(p);
    } else if (key == "inputs") {
      std::vector<YAML::Node> items;
      if (v.IsScalar()) {
        items.push_back(v);
      } else if (v.IsSequence()) {
        for (const auto& item : v) items.push_back(item);
      }
      if (items.empty()) return fail(v, "inputs must be a non-empty list of locations");
      for (const YAML::Node& item : items) {
        if (!item.IsScalar()) return fail(item, "an input must be a string");
        auto in = parse_input(item.Scalar());
        if (!in.ok()) return fail(item, in.error().reason);
        r.inputs.push_back(std::move(in).value());
      }
      has_inputs = true;
    } else if (key == "transforms") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return fail(v, "transforms must be a list");
      for (const auto& item : v) {
        auto t = item.IsScalar() ? parse_transform(item.Scalar()) : std::nullopt;
        if (!t) {
          return fail(item, "unknown transform '" +
                                (item.IsScalar() ? item.Scalar().substr(0, 32) : "") +
                                "' (expected " + std::string(transform_names()) + ")");
        }
        if (r.transforms.size() == 16) return fail(item, "more than 16 transforms");
        r.transforms.push_back(*t);
      }
    } else {
      return fail(kv.first, "unknown key '" + key.substr(0, 32) +
                                "' (expected id, description, inputs, transforms, pattern, "
                                "action, priority)");
    }
  }
  if (!has_pattern) return fail(node, "missing pattern");
  if (!has_inputs) return fail(node, "missing inputs");
  if (!has_action) return fail(node, "missing action (block, monitor or allow)");
  return r;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error("cannot read custom rule file " + path.string());
  std::string text;
  text.resize(kMaxFileBytes + 1);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  if (text.size() > kMaxFileBytes) {
    return make_error("custom rule file " + path.string() + " is larger than 4 MiB");
  }
  return text;
}

}  // namespace

std::string_view action_name(RuleAction a) {
  switch (a) {
    case RuleAction::kBlock:
      return "block";
    case RuleAction::kMonitor:
      return "monitor";
    case RuleAction::kAllow:
      return "allow";
  }
  return "unknown";
}

Result<std::vector<RuleSpec>> parse_rule_file(std::string_view yaml, std::string_view source) {
  std::vector<RuleSpec> out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return make_error(at(source, e.mark) + ": " + e.msg);
  }
  if (root.IsNull()) return out;
  if (!root.IsMap())
    return make_error(at(source, root.Mark()) + ": expected a mapping with 'rules:'");
  for (const auto& kv : root) {
    if (kv.first.Scalar() != "rules") {
      return make_error(at(source, kv.first.Mark()) + ": unknown key '" +
                        kv.first.Scalar().substr(0, 32) + "' (expected rules)");
    }
  }
  const YAML::Node rules = root["rules"];
  if (!rules || rules.IsNull()) return out;
  if (!rules.IsSequence()) return make_error(at(source, rules.Mark()) + ": rules must be a list");
  try {
    for (const auto& node : rules) {
      auto r = parse_rule(node, source);
      if (!r.ok()) return r.error();
      out.push_back(std::move(r).value());
    }
  } catch (const YAML::Exception& e) {
    // Non-scalar keys and similar shapes yaml-cpp refuses on access.
    return make_error(at(source, e.mark) + ": " + e.msg);
  }
  return out;
}

Result<std::vector<RuleSpec>> load_rule_paths(std::span<const std::string> paths) {
  namespace fs = std::filesystem;
  std::vector<RuleSpec> all;
  auto load_one = [&](const fs::path& p) -> Status {
    auto text = read_file(p);
    if (!text.ok()) return text.error();
    auto specs = parse_rule_file(*text, p.string());
    if (!specs.ok()) return specs.error();
    for (RuleSpec& s : *specs) all.push_back(std::move(s));
    return Status::Ok();
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
          files.push_back(entry.path());
        }
      }
      if (ec) return make_error("cannot list custom rule directory " + path + ": " + ec.message());
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        Status s = load_one(f);
        if (!s.ok()) return s.error();
      }
    } else {
      Status s = load_one(path);
      if (!s.ok()) return s.error();
    }
  }
  return all;
}

}  // namespace portcullis::rules::custom
