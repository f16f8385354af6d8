// Verdict: what a stage decided about a request. Returned by value from every stage hook (no
// "remember to fetch the decision" calls, see STYLE.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::pipeline {

enum class Action : uint8_t {
  kContinue,  // pass to the next stage / the origin
  kBlock,     // answer locally with `status` and a short body; the request never reaches the origin
  kClose,     // drop the connection without a response (e.g. origin-lock `action: close`)
  kPending,   // on_request_head only: the stage started asynchronous work (e.g. a Redis round
              // trip) and will deliver its real verdict later through ctx.async (see
              // request_context.h), exactly once, on the same worker thread. The stage must not
              // touch ctx after returning kPending: the request may be gone by then.
};

struct Verdict {
  Action action = Action::kContinue;
  uint16_t status = 0;      // for kBlock: 403, 405, 413, 414, 429, 431...
  std::string_view reason;  // string literal, machine-stable, e.g. "method_not_allowed"

  static constexpr Verdict Continue() { return {}; }
  static constexpr Verdict Block(uint16_t status, std::string_view reason) {
    return {Action::kBlock, status, reason};
  }
  static constexpr Verdict Close(std::string_view reason) { return {Action::kClose, 0, reason}; }
  static constexpr Verdict Pending() { return {Action::kPending, 0, {}}; }
  bool is_continue() const { return action == Action::kContinue; }
};

}  // namespace portcullis::pipeline
