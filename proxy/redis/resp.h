// RESP2 command encoding (the request side of the Redis protocol: an array of bulk strings),
// written straight into a caller's buffer: no printf-style formatting and no allocation per
// argument, unlike redisFormatCommandArgv. Replies are parsed by hiredis' redisReader.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::redis {

// "*<n>\r\n"
inline void resp_array(std::string& out, size_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), n);
  out += '*';
  out.append(buf, r.ptr);
  out += "\r\n";
}

// "$<len>\r\n<bytes>\r\n"
inline void resp_bulk(std::string& out, std::string_view arg) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), arg.size());
  out += '$';
  out.append(buf, r.ptr);
  out += "\r\n";
  out.append(arg);
  out += "\r\n";
}

// A decimal integer as a bulk string.
inline void resp_bulk(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  resp_bulk(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

// A whole command.
inline void resp_command(std::string& out, size_t argc, const char* const* argv,
                         const size_t* lens) {
  resp_array(out, argc);
  for (size_t i = 0; i < argc; ++i) resp_bulk(out, std::string_view(argv[i], lens[i]));
}

}  // namespace portcullis::redis
