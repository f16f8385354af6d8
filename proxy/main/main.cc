// portcullis: the proxy binary.
//   portcullis [-c FILE]            run (FILE or $PORTCULLIS_CONFIG; none: embedded default config)
//   portcullis check -c FILE        validate a configuration and exit (0 valid, 1 invalid)
//   portcullis version
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proxy/config/config.h"
#include "proxy/main/explain.h"
#include "proxy/server/log.h"
#include "proxy/server/server.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: portcullis [run] [-c FILE]\n"
               "       portcullis check [-c FILE]\n"
               "       portcullis version\n"
               "Without -c, $PORTCULLIS_CONFIG names the file; with neither, the embedded default\n"
               "config runs (listen :8080, origin 127.0.0.1:3000, admin 127.0.0.1:9901).\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = "run";
  std::string config_path;
  int i = 1;
  if (i < argc && argv[i][0] != '-') command = argv[i++];
  if (command == "explain") return portcullis::explain::run_explain(argc - i, argv + i);
  for (; i < argc; ++i) {
    if ((std::strcmp(argv[i], "-c") == 0 || std::strcmp(argv[i], "--config") == 0) &&
        i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "portcullis: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (config_path.empty()) {
    if (const char* env = std::getenv("PORTCULLIS_CONFIG"); env != nullptr && *env != '\0') {
      config_path = env;
    }
  }
  auto env = portcullis::config::process_env();

  if (command == "version") {
    std::printf("portcullis 0.1.0\n");
    return 0;
  }
  if (command == "check") {
    auto cfg = config_path.empty()
                   ? portcullis::config::load_config_string(
                         portcullis::config::embedded_default_config(), "<embedded>", env)
                   : portcullis::config::load_config_file(config_path, env);
    if (!cfg) {
      std::fprintf(stderr, "portcullis: invalid configuration: %s\n", cfg.error().reason.c_str());
      return 1;
    }
    std::printf("%s: configuration valid\n", cfg->source.c_str());
    return 0;
  }
  if (command != "run") {
    std::fprintf(stderr, "portcullis: unknown command '%s'\n", command.c_str());
    usage(stderr);
    return 2;
  }
  auto server = portcullis::server::Server::create({config_path, env});
  if (!server) {
    std::fprintf(stderr, "portcullis: cannot start: %s\n", server.error().reason.c_str());
    return 1;
  }
  return server.value()->run();
}
