// Shared set-up for the proxy integration tests: a TestOrigin on an ephemeral port and the real
// portcullis binary in front of it, both on 127.0.0.1.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/http_client.h"
#include "tests/support/proxy_process.h"
#include "tests/support/test_origin.h"

namespace portcullis::testing {

// A config with ephemeral proxy and admin ports, one worker, in front of `origin_port`.
inline std::string BaseConfig(uint16_t origin_port, const std::string& extra = "",
                              int workers = 1) {
  return "listen: \"127.0.0.1:0\"\n"
         "origin: \"127.0.0.1:" +
         std::to_string(origin_port) +
         "\"\n"
         "admin: \"127.0.0.1:0\"\n"
         "workers: " +
         std::to_string(workers) + "\n" + extra;
}

class ProxyTest : public ::testing::Test {
 protected:
  void StartProxy(const std::string& extra = "") {
    origin_ = std::make_unique<TestOrigin>();
    proxy_ = ProxyProcess::Start(BaseConfig(origin_->port(), extra));
    ASSERT_NE(proxy_, nullptr);
  }
  uint16_t port() const { return proxy_->port(); }

  std::unique_ptr<TestOrigin> origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};

}  // namespace portcullis::testing
