// Mail command injection (CWE-93 / CWE-147, OWASP WSTG-INPV-10 "IMAP/SMTP injection"): an input a
// webmail or contact form copies into an SMTP, IMAP or POP3 conversation adds a command of its
// own when it carries a line break followed by a line in that protocol's command grammar:
//   SMTP  `MAIL FROM:<a@b>`, `RCPT TO:<x>`, `HELO host` / `EHLO host`, `AUTH PLAIN ...`
//         (RFC 5321 sec. 4.1, RFC 4954);
//   IMAP  a tag, then a command: `a001 STATUS INBOX (MESSAGES)`, `A3 APPEND saved {310}`
//         (RFC 9051 sec. 2.2.1: the tag is what marks a client command line);
//   POP3  `RETR 1`, `DELE 7`, `TOP 1 2`, `APOP name <md5 hex>` (RFC 1939): the whole
//         line is the verb and its numbers.
// Multi-line prose does not fire: a line must be exactly the command's shape ("Data", "Quit",
// "List 3 reasons" or "1 Select your size" are not). The input must already be decoded.
// Pure, allocation-free.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kGeneric, context "mail".
std::optional<Finding> detect_mail_injection(std::string_view decoded);

}  // namespace portcullis::rules
