// portcullis-healthcheck: the container HEALTHCHECK probe. The runtime image has no shell, curl or
// wget (less attack surface, smaller image), so this ~100-line C program asks the admin listener
// for /healthz (or the path given) over plain HTTP/1.0 on loopback and exits 0 on a 200, 1
// otherwise. It links only libc, which the image already carries.
//
// The address is, in order: argv[2], $PORTCULLIS_HEALTHCHECK_ADDR, $PORTCULLIS_ADMIN_LISTEN,
// 127.0.0.1:9901. A wildcard host (0.0.0.0, [::], *, empty) is probed on loopback. No DNS: the
// admin address is an IP literal by the config rules.
//   usage: portcullis-healthcheck [PATH [HOST:PORT]]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char* why) {
  fprintf(stderr, "portcullis-healthcheck: %s\n", why);
  return 1;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "/healthz";
  const char* addr = argc > 2 ? argv[2] : getenv("PORTCULLIS_HEALTHCHECK_ADDR");
  if (addr == NULL || *addr == '\0') addr = getenv("PORTCULLIS_ADMIN_LISTEN");
  if (addr == NULL || *addr == '\0' || strcmp(addr, "off") == 0) addr = "127.0.0.1:9901";
  if (path[0] != '/' || strpbrk(path, " \r\n") != NULL) return fail("path must start with '/'");

  char host[64];
  const char* colon = strrchr(addr, ':');
  if (colon == NULL || colon - addr >= (long)sizeof(host)) return fail("address is not host:port");
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  long port = strtol(colon + 1, NULL, 10);
  if (port <= 0 || port > 65535) return fail("bad port");
  char* h = host;
  size_t hl = strlen(h);
  if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {  // [v6]:port
    h[hl - 1] = '\0';
    ++h;
  }

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  struct sockaddr_in* v4 = (struct sockaddr_in*)&ss;
  struct sockaddr_in6* v6 = (struct sockaddr_in6*)&ss;
  if (*h == '\0' || strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0 ||
      strcmp(h, "localhost") == 0) {
    h = "127.0.0.1";
  } else if (strcmp(h, "::") == 0) {
    h = "::1";
  }
  if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)port);
    len = sizeof(*v6);
  } else {
    return fail("host must be an IP literal");
  }

  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket failed");
  // A hung admin listener must fail the probe, not hang it: 3 s per send/receive.
  struct timeval tv = {3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr*)&ss, len) != 0) return fail("connect failed");

  char req[512];
  int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
  if (n <= 0 || n >= (int)sizeof(req)) return fail("path too long");
  if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) return fail("send failed");

  // Only the status line matters: "HTTP/1.x 200 ".
  char resp[64];
  size_t got = 0;
  while (got < sizeof(resp) - 1) {
    ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  resp[got] = '\0';
  if (got < 12 || strncmp(resp, "HTTP/1.", 7) != 0) return fail("no HTTP response");
  if (strncmp(resp + 9, "200", 3) != 0) {
    fprintf(stderr, "portcullis-healthcheck: %s answered %.3s\n", path, resp + 9);
    return 1;
  }
  return 0;
}
