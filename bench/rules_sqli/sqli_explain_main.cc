// sqli_explain 'INPUT': prints, per embedding context, the token stream and the decision.
#include <cstdio>
#include <string>

#include "rules/sqli/sqli_detector.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s 'INPUT'...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::string out;
    portcullis::rules::explain_sqli(argv[i], out);
    std::fputs(out.c_str(), stdout);
  }
  return 0;
}
