// Scalar value grammars of the config (durations, sizes, addresses, ...): pure functions over a
// string, shared by the YAML sections and the environment overrides so both validate the same
// way. Errors carry only the reason; the caller prefixes file:line:col or the variable name.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/config/config.h"
#include "rules/base/result.h"

namespace portcullis::config {

// Unsigned decimal integer, no sign, no spaces, no units.
Result<uint64_t> parse_uint(std::string_view text);

// "10s", "500ms", "2m", "1h", or a bare integer = milliseconds. Must be > 0 and <= 24h: a zero
// timeout would disable the slowloris defence, a huge one is almost always a unit mistake.
inline constexpr std::chrono::milliseconds kMaxDuration{24ll * 3600 * 1000};
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Bare bytes or a binary-multiple suffix, case-insensitive: k|kb|kib, m|mb|mib, g|gb|gib (k = 1024,
// as in nginx). Result must fit in 64 bits.
Result<uint64_t> parse_size(std::string_view text);

// Where an address is used decides what it may contain.
enum class AddressUse : uint8_t {
  kListener,  // IP literal (or "*", "", "localhost"); port 0..65535 (0 = ephemeral)
  kAdmin,     // IP literal (or "*", "", "localhost"); port 0..65535 (0 = ephemeral)
  kOrigin,    // IP literal or DNS name; port 1..65535
};
// "host:port" or "[v6]:port". A bare IPv6 without brackets is rejected (ambiguous).
Result<HostPort> parse_host_port(std::string_view text, AddressUse use);

// Origin: "host:port" or "http://host:port" with an empty or "/" path. https is rejected until
// upstream TLS exists (silently speaking cleartext to a TLS origin would be worse).
Result<HostPort> parse_origin_address(std::string_view text);

// "auto" -> hardware_concurrency() (min 1, max 256), else an integer 1..256.
inline constexpr uint32_t kMaxWorkers = 256;
Result<uint32_t> parse_workers(std::string_view text);

// enforce | monitor | off.
Result<StageMode> parse_stage_mode(std::string_view text);

// An HTTP method is a token (RFC 9110 section 9.1, 5.6.2); returned uppercased. Methods are
// case-sensitive on the wire; we compare against the uppercase standard spellings.
Result<std::string> parse_method(std::string_view text);

// true | false (not yes/no/on/off: YAML 1.1's "Norway problem" is a classic config trap).
Result<bool> parse_bool(std::string_view text);

// Levenshtein distance, for "did you mean" suggestions on unknown keys.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace portcullis::config
