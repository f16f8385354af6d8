#include "proxy/config/reader.h"

#include <set>

#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out.append(key);
  return out;
}

std::string format_size(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes != 0 && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes);
}

}  // namespace

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

YAML::Mark Entry::value_mark() const {
  if (!value.IsDefined() || value.IsNull() || value.Mark().is_null()) return key_mark;
  return value.Mark();
}

std::string Reader::location(const YAML::Mark& mark) const {
  std::string out = source_;
  if (!mark.is_null()) {
    out += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  return out;
}

void Reader::error_at(const YAML::Mark& mark, std::string_view reason) {
  std::string msg = location(mark);
  msg += ": ";
  msg.append(reason);
  error(std::move(msg));
}

void Reader::error_for(std::string_view path, std::string_view reason) {
  const std::string* where = set_at(path);
  std::string msg = where ? *where : source_;
  msg += ": ";
  msg.append(path);
  msg += ": ";
  msg.append(reason);
  error(std::move(msg));
}

void Reader::mark_set(const Entry& e) { set_at_[e.path] = location(e.value_mark()); }

void Reader::error_in(const Entry& e, std::string_view reason) {
  if (e.path.empty()) {
    error_at(e.value_mark(), reason);
    return;
  }
  std::string msg = e.path;
  msg += ": ";
  msg.append(reason);
  error_at(e.value_mark(), msg);
}

void Reader::error(std::string reason) {
  if (errors_.size() >= kMaxErrors) {
    ++dropped_errors_;
    return;
  }
  errors_.push_back(std::move(reason));
}

Error Reader::to_error() const {
  std::string out;
  for (const std::string& e : errors_) {
    if (!out.empty()) out += '\n';
    out += e;
  }
  if (dropped_errors_ > 0) {
    out += "\n(" + std::to_string(dropped_errors_) + " more errors not shown)";
  }
  return make_error(std::move(out));
}

void Reader::for_each_key(const Entry& section, std::string_view name,
                          std::span<const std::string_view> allowed,
                          const std::function<void(std::string_view, const Entry&)>& visit) {
  const YAML::Node& node = section.value;
  if (!node.IsDefined() || node.IsNull()) return;  // "timeouts:" with everything commented out
  if (!node.IsMap()) {
    error_in(section, "expected a map of settings, got " + std::string(node_kind(node)));
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& pair : node) {
    // Copies: yaml-cpp's iterator yields a temporary proxy, references into it would dangle.
    const YAML::Node key_node = pair.first;
    const YAML::Node value = pair.second;
    if (!key_node.IsScalar()) {
      error_at(key_node.Mark(), "keys in section '" + std::string(name) + "' must be plain names");
      continue;
    }
    const std::string& key = key_node.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) {
      std::string msg = "unknown key '" + key + "' in section '" + std::string(name) + "'";
      std::string_view best;
      size_t best_d = 3;  // suggest only close matches: a typo, not a different word
      for (std::string_view a : allowed) {
        size_t d = edit_distance(key, a);
        if (d < best_d && d < a.size()) {
          best_d = d;
          best = a;
        }
      }
      if (!best.empty()) msg += " (did you mean '" + std::string(best) + "'?)";
      error_at(key_node.Mark(), msg);
      continue;
    }
    if (!seen.insert(key).second) {
      error_at(key_node.Mark(),
               "duplicate key '" + key + "' in section '" + std::string(name) + "'");
      continue;
    }
    Entry child{child_path(section.path, key), value, key_node.Mark()};
    visit(key, child);
  }
}

void Reader::for_each_item(const Entry& e, bool scalar_is_list,
                           const std::function<void(const Entry&)>& visit) {
  if (scalar_is_list && e.value.IsScalar()) {
    visit(Entry{e.path, e.value, e.key_mark});
    return;
  }
  if (!e.value.IsSequence()) {
    error_in(e, "expected a list, got " + std::string(node_kind(e.value)));
    return;
  }
  size_t i = 0;
  for (const YAML::Node& item : e.value) {
    YAML::Mark mark = item.Mark().is_null() ? e.key_mark : item.Mark();
    visit(Entry{e.path + '[' + std::to_string(i++) + ']', item, mark});
  }
}

std::optional<std::string> Reader::scalar(const Entry& e, std::string_view what) {
  if (!e.value.IsScalar()) {
    std::string msg = "expected ";
    msg.append(what);
    msg += ", got ";
    msg.append(node_kind(e.value));
    error_in(e, msg);
    return std::nullopt;
  }
  return e.value.Scalar();
}

bool Reader::read_u64(const Entry& e, bool size_units, uint64_t min, uint64_t max, uint64_t* out) {
  std::optional<std::string> text =
      scalar(e, size_units ? "a size (e.g. 16k, 10MiB)" : "an integer");
  if (!text) return false;
  Result<uint64_t> v = size_units ? parse_size(*text) : parse_uint(*text);
  if (!v.ok()) {
    error_in(e, v.error().reason);
    return false;
  }
  if (*v < min || *v > max) {
    auto show = [&](uint64_t n) { return size_units ? format_size(n) : std::to_string(n); };
    error_in(e, "must be between " + show(min) + " and " + show(max) + ", got " + *text);
    return false;
  }
  *out = *v;
  mark_set(e);
  return true;
}

const std::string* Reader::set_at(std::string_view path) const {
  auto it = set_at_.find(path);
  return it == set_at_.end() ? nullptr : &it->second;
}

}  // namespace portcullis::config
