// Insecure deserialization payloads (CWE-502): serialized objects that name a class to
// instantiate, sent where an application unserializes user input (PHP unserialize(), Java
// ObjectInputStream, .NET BinaryFormatter). Gadget chains (Monolog, Commons-Collections,
// ysoserial) ride on exactly these formats, and no person types them:
//   * PHP: `O:<len>:"<Class>":<n>:{` or `C:<len>:"<Class>":<n>:{` (php_var_serialize), where <len>
//     is the class name's length;
//   * Java: the stream magic AC ED 00 05, raw, in hex (`aced0005`) or in base64 (`rO0AB`);
//   * .NET BinaryFormatter: the header in base64 (`AAEAAAD/////`).
// The Java and .NET forms count only at the start of the input or right after a quote, ':' or
// '>' (a JSON or XML value), where a value begins. The input must already be decoded. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "deserialization".
std::optional<Finding> detect_deserialization(std::string_view decoded);

// True when `s` starts with a Java or .NET serialization magic (used by the prefilter).
bool starts_with_serialization_magic(std::string_view s);

}  // namespace portcullis::rules
