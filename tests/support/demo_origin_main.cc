// portcullis-demo-origin: the TestOrigin as a standalone server, for the README quick start and
// bench/compare. Usage: portcullis-demo-origin [--port N] [--host ADDR]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/test_origin.h"

int main(int argc, char** argv) {
  uint16_t port = 3000;
  std::string host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0)
      port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--host") == 0)
      host = argv[i + 1];
  }
  std::signal(SIGPIPE, SIG_IGN);
  portcullis::testing::TestOrigin origin(port, host);
  std::fprintf(stderr, "demo origin listening on %s:%u\n", host.c_str(), origin.port());
  origin.Serve();
}
