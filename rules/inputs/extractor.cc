#include "rules/inputs/extractor.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "rules/decode/decoder.h"
#include "rules/objects/bracket_key.h"

namespace portcullis::rules {
namespace {

// Names longer than this are cut in the location (Detection keeps 95 chars anyway); the input
// itself is inspected whole.
constexpr size_t kMaxNameInLocation = 128;

constexpr std::string_view kJsonPrefix = "body.json:";
constexpr std::string_view kMultipartPrefix = "body.multipart:";

// ASCII case folding (header names and media types are ASCII tokens, RFC 9110 5.1, 8.3.1);
// std::tolower is a locale-aware libc call per byte on the per-request path.
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Unquotes a quoted-string parameter value (RFC 9110 5.6.4) without unescaping: a view.
std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// Finds parameter `name` in "type; a=b; c="d"" (case-insensitive name).
std::string_view header_param(std::string_view value, std::string_view name) {
  size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    size_t next = value.find(';', pos + 1);
    std::string_view p = trim(value.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1));
    size_t eq = p.find('=');
    if (eq != std::string_view::npos && iequals(trim(p.substr(0, eq)), name)) {
      return unquote(trim(p.substr(eq + 1)));
    }
    pos = next;
  }
  return {};
}

void append_bounded(std::string& out, std::string_view s) {
  out.append(s.substr(0, kMaxNameInLocation));
}

void append_index(std::string& out, size_t i) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  out += '[';
  while (n > 0) out += buf[--n];
  out += ']';
}

}  // namespace

struct Extractor::JsonParser {
  simdjson::ondemand::parser parser;
};

std::string_view input_source_name(InputSource s) {
  switch (s) {
    case InputSource::kQuery:
      return "query";
    case InputSource::kPath:
      return "path";
    case InputSource::kCookie:
      return "cookie";
    case InputSource::kHeader:
      return "header";
    case InputSource::kForm:
      return "body.form";
    case InputSource::kJson:
      return "body.json";
    case InputSource::kMultipart:
      return "body.multipart";
    case InputSource::kBody:
      return "body";
    case InputSource::kXml:
      return "body.xml";
  }
  return "unknown";
}

BodyType classify_body(std::string_view content_type) {
  BodyType t;
  std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(media, "application/x-www-form-urlencoded")) {
    t.kind = BodyKind::kForm;
  } else if (iequals(media, "application/json") ||
             (media.size() > 5 && iequals(media.substr(media.size() - 5), "+json"))) {
    t.kind = BodyKind::kJson;
  } else if (iequals(media, "application/xml") || iequals(media, "text/xml") ||
             (media.size() > 4 && iequals(media.substr(media.size() - 4), "+xml"))) {
    t.kind = BodyKind::kXml;
  } else if (iequals(media, "multipart/form-data")) {
    t.boundary = header_param(content_type, "boundary");
    // RFC 2046 5.1.1: 1..70 characters. Without one the body cannot be split.
    if (!t.boundary.empty() && t.boundary.size() <= 70) t.kind = BodyKind::kMultipart;
  }
  return t;
}

Extractor::Extractor() : parser_(std::make_unique<JsonParser>()) {
  loc_.reserve(256);
  path_.reserve(64);
  xml_stack_.reserve(32);
}
Extractor::~Extractor() = default;

void Extractor::reset(const ExtractLimits& limits) {
  limits_ = limits;
  count_ = 0;
}

bool Extractor::emit(const Input& in, ExtractResult& r, InputSink& sink) {
  if (count_ >= limits_.max_inputs) {
    r.flags |= kExtractTooManyInputs;
    return false;
  }
  ++count_;
  if (!sink.on_input(in)) {
    r.flags |= kExtractStopped;
    return false;
  }
  return true;
}

ExtractResult Extractor::params(std::string_view text, char separator, InputSource source,
                                std::string_view prefix, bool keys, InputSink& sink) {
  ExtractResult r;
  const bool plus = source == InputSource::kQuery || source == InputSource::kForm;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view pair = text.substr(start, end - start);
    start = end + 1;
    if (source == InputSource::kCookie) pair = trim(pair);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);

    loc_.assign(prefix);
    percent_decode_once(name.substr(0, kMaxNameInLocation), plus, &loc_);
    std::string_view decoded_name = std::string_view(loc_).substr(prefix.size());

    Input in;
    in.source = source;
    in.plus_as_space = plus;
    in.location = loc_;
    if (keys && !name.empty()) {
      // Bracket notation is where NoSQL operators and __proto__ hide (qs, PHP, Rack).
      BracketKey bk = parse_bracket_key(decoded_name);
      path_.assign(bk.view().begin(), bk.view().end());
      in.is_key = true;
      in.raw = name;
      in.key_path = path_;
      if (!emit(in, r, sink)) return r;
      in.is_key = false;
      in.key_path = {};
    }
    if (!value.empty()) {
      in.raw = value;
      if (!emit(in, r, sink)) return r;
    }
    if (end == text.size()) break;
  }
  return r;
}

ExtractResult Extractor::query(std::string_view qs, InputSource source, InputSink& sink) {
  std::string_view prefix = source == InputSource::kForm ? "body.form:" : "query:";
  return params(qs, '&', source, prefix, /*keys=*/true, sink);
}

ExtractResult Extractor::cookies(std::string_view header_value, InputSink& sink) {
  return params(header_value, ';', InputSource::kCookie, "cookie:", /*keys=*/false, sink);
}

ExtractResult Extractor::header(std::string_view lower_name, std::string_view value,
                                InputSink& sink) {
  ExtractResult r;
  if (value.empty()) return r;
  loc_.assign("header:");
  append_bounded(loc_, lower_name);
  Input in;
  in.source = InputSource::kHeader;
  in.location = loc_;
  in.raw = value;
  emit(in, r, sink);
  return r;
}

ExtractResult Extractor::path(std::string_view path, InputSink& sink) {
  ExtractResult r;
  if (path.empty() || path == "/") return r;
  Input whole;
  whole.source = InputSource::kPath;
  whole.location = "path";
  whole.raw = path;
  // Traversal is about the whole path ("/a/../../etc/passwd"); segments would hide the climb.
  whole.detectors = detector_bit(Detector::kPath);
  if (!emit(whole, r, sink)) return r;
  size_t index = 0;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    start = end + 1;
    if (seg.empty()) continue;
    loc_.assign("path:");
    loc_ += std::to_string(index++);
    Input in;
    in.source = InputSource::kPath;
    in.location = loc_;
    in.raw = seg;
    in.detectors = static_cast<DetectorSet>(kAllDetectors & ~detector_bit(Detector::kPath));
    if (!emit(in, r, sink)) return r;
  }
  return r;
}

// Recursive walk over a simdjson on-demand document. Depth is bounded by ExtractLimits::max_depth
// (deeper containers are skipped and flagged), so the C++ stack is bounded too.
struct JsonWalker {
  Extractor& x;
  InputSink& sink;
  ExtractResult& r;
  bool stop = false;

  void key_input(std::string_view key) {
    Input in;
    in.source = InputSource::kJson;
    in.is_key = true;
    in.location = x.loc_;
    in.raw = key;
    in.key_path = x.path_;
    if (!x.emit(in, r, sink)) stop = true;
  }
  void string_input(std::string_view s) {
    Input in;
    in.source = InputSource::kJson;
    in.location = x.loc_;
    in.raw = s;
    if (!x.emit(in, r, sink)) stop = true;
  }

  simdjson::error_code object(simdjson::ondemand::object o, uint32_t depth) {
    if (depth > x.limits_.max_depth) {
      r.flags |= kExtractTooDeep;
      return simdjson::SUCCESS;
    }
    for (auto field : o) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      const size_t mark = x.loc_.size();
      if (mark > kJsonPrefix.size()) x.loc_ += '.';
      append_bounded(x.loc_, key);
      x.path_.push_back(key);
      key_input(key);
      if (stop) return simdjson::SUCCESS;
      simdjson::ondemand::value v;
      if (auto e = field.value().get(v)) return e;
      if (auto e = value(v, depth + 1)) return e;
      if (stop) return simdjson::SUCCESS;
      x.path_.pop_back();
      x.loc_.resize(mark);
    }
    return simdjson::SUCCESS;
  }

  simdjson::error_code array(simdjson::ondemand::array a, uint32_t depth) {
    if (depth > x.limits_.max_depth) {
      r.flags |= kExtractTooDeep;
      return simdjson::SUCCESS;
    }
    size_t index = 0;
    for (auto element : a) {
      simdjson::ondemand::value v;
      if (auto e = element.get(v)) return e;
      const size_t mark = x.loc_.size();
      append_index(x.loc_, index++);
      if (auto e = value(v, depth + 1)) return e;
      if (stop) return simdjson::SUCCESS;
      x.loc_.resize(mark);
    }
    return simdjson::SUCCESS;
  }

  simdjson::error_code value(simdjson::ondemand::value v, uint32_t depth) {
    simdjson::ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    switch (t) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object o;
        if (auto e = v.get_object().get(o)) return e;
        return object(o, depth);
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array a;
        if (auto e = v.get_array().get(a)) return e;
        return array(a, depth);
      }
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        string_input(s);
        return simdjson::SUCCESS;
      }
      default:
        // Numbers, booleans and null cannot carry injected syntax; operator objects around
        // them ({"$gt": 0}) are caught on their keys.
        return simdjson::SUCCESS;
    }
  }
};

ExtractResult Extractor::json(std::string_view body, bool truncated, InputSink& sink) {
  ExtractResult r;
  json_buf_.assign(body);
  json_buf_.append(simdjson::SIMDJSON_PADDING, '\0');
  loc_.assign(kJsonPrefix);
  path_.clear();
  const uint32_t before = count_;
  JsonWalker w{*this, sink, r};
  simdjson::error_code err = simdjson::SUCCESS;
  simdjson::ondemand::document doc;
  err = parser_->parser.iterate(json_buf_.data(), body.size(), json_buf_.size()).get(doc);
  if (!err) {
    simdjson::ondemand::json_type t;
    err = doc.type().get(t);
    if (!err) {
      if (t == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object o;
        err = doc.get_object().get(o);
        if (!err) err = w.object(o, 1);
      } else if (t == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array a;
        err = doc.get_array().get(a);
        if (!err) err = w.array(a, 1);
      } else if (t == simdjson::ondemand::json_type::string) {
        std::string_view s;
        err = doc.get_string().get(s);
        if (!err) w.string_input(s);
      }
    }
  }
  if (err && !w.stop) {
    r.flags |= kExtractMalformed;
    if (count_ == before && !body.empty()) {
      // Nothing parsed (invalid JSON, or a prefix cut inside a string): a lenient app parser
      // may still read it, so inspect the text as one input rather than nothing.
      Input in;
      in.source = InputSource::kBody;
      in.location = "body";
      in.raw = body;
      emit(in, r, sink);
    }
  }
  (void)truncated;  // a truncated body fails like a malformed one; the caller knows which
  return r;
}

ExtractResult Extractor::multipart(std::string_view body, std::string_view boundary,
                                   InputSink& sink) {
  ExtractResult r;
  if (boundary.empty()) return r;
  // Finds "--boundary" at `from` where it starts the body or follows CRLF (RFC 2046 5.1.1).
  auto find_delimiter = [&](size_t from) -> size_t {
    while (true) {
      size_t b = body.find(boundary, from);
      if (b == std::string_view::npos || b < 2) {
        if (b == std::string_view::npos) return b;
        from = b + 1;
        continue;
      }
      if (body[b - 1] == '-' && body[b - 2] == '-' && (b == 2 || (b >= 3 && body[b - 3] == '\n'))) {
        return b - 2;
      }
      from = b + 1;
    }
  };
  size_t pos = find_delimiter(0);
  if (pos == std::string_view::npos) {
    r.flags |= kExtractMalformed;
    return r;
  }
  while (true) {
    size_t p = pos + 2 + boundary.size();
    if (body.substr(p, 2) == "--") break;  // close delimiter
    size_t eol = body.find('\n', p);
    if (eol == std::string_view::npos) {
      r.flags |= kExtractMalformed;
      break;
    }
    size_t headers_start = eol + 1;
    size_t headers_end = body.find("\r\n\r\n", headers_start);
    size_t content_start = headers_end + 4;
    if (headers_end == std::string_view::npos) {
      headers_end = body.find("\n\n", headers_start);
      content_start = headers_end + 2;
    }
    if (headers_end == std::string_view::npos) {
      r.flags |= kExtractMalformed;
      break;
    }
    std::string_view name, filename;
    bool has_filename = false;
    std::string_view headers = body.substr(headers_start, headers_end - headers_start);
    while (!headers.empty()) {
      size_t nl = headers.find('\n');
      std::string_view line = headers.substr(0, nl);
      headers = nl == std::string_view::npos ? std::string_view{} : headers.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!istarts_with(line, "content-disposition:")) continue;
      std::string_view v = line.substr(20);
      name = header_param(v, "name");
      std::string_view fn = header_param(v, "filename");
      if (fn.empty()) fn = header_param(v, "filename*");
      if (!fn.empty() || v.find("filename") != std::string_view::npos) {
        has_filename = true;
        filename = fn;
      }
    }
    size_t next = find_delimiter(content_start);
    bool last = next == std::string_view::npos;
    size_t content_end = last ? body.size() : next;
    // The CRLF before the delimiter belongs to the delimiter.
    if (!last && content_end >= 1 && body[content_end - 1] == '\n') --content_end;
    if (!last && content_end >= 1 && body[content_end - 1] == '\r') --content_end;
    std::string_view content = content_start <= content_end
                                   ? body.substr(content_start, content_end - content_start)
                                   : std::string_view{};

    loc_.assign(kMultipartPrefix);
    append_bounded(loc_, name);
    Input in;
    in.source = InputSource::kMultipart;
    in.location = loc_;
    if (!name.empty()) {
      BracketKey bk = parse_bracket_key(std::string_view(loc_).substr(kMultipartPrefix.size()));
      path_.assign(bk.view().begin(), bk.view().end());
      in.is_key = true;
      in.raw = name;
      in.key_path = path_;
      if (!emit(in, r, sink)) return r;
      in.is_key = false;
      in.key_path = {};
    }
    if (has_filename) {
      if (limits_.inspect_file_contents && !content.empty()) {
        in.raw = content;
        if (!emit(in, r, sink)) return r;
      }
      loc_ += "#filename";
      in.location = loc_;
      if (!filename.empty()) {
        in.raw = filename;
        if (!emit(in, r, sink)) return r;
      }
    } else if (!content.empty()) {
      in.raw = content;
      if (!emit(in, r, sink)) return r;
    }
    if (last) {
      r.flags |= kExtractMalformed;  // no close delimiter (or a truncated prefix)
      break;
    }
    pos = next;
  }
  return r;
}

ExtractResult Extractor::body(const BodyType& type, std::string_view body, bool truncated,
                              InputSink& sink) {
  switch (type.kind) {
    case BodyKind::kForm:
      return query(body, InputSource::kForm, sink);
    case BodyKind::kJson:
      return json(body, truncated, sink);
    case BodyKind::kMultipart:
      return multipart(body, type.boundary, sink);
    case BodyKind::kXml:
      return xml(body, truncated, sink);
    case BodyKind::kNone:
      break;
  }
  return {};
}

}  // namespace portcullis::rules
