// Sections that decide where Portcullis listens and how many workers run: listen, workers, admin.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "proxy/config/sections.h"
#include "proxy/config/values.h"

namespace portcullis::config {
namespace {

Result<HostPort> parse_listener(std::string_view text) {
  return parse_host_port(text, AddressUse::kListener);
}

Result<HostPort> parse_admin_address(std::string_view text) {
  return parse_host_port(text, AddressUse::kAdmin);
}

// Two sockets on the same port collide if the hosts are equal or either is a wildcard.
bool overlaps(const HostPort& a, const HostPort& b) {
  if (a.port == 0 || b.port == 0 || a.port != b.port) return false;
  auto wildcard = [](const std::string& h) { return h == "0.0.0.0" || h == "::"; };
  return a.host == b.host || wildcard(a.host) || wildcard(b.host);
}

// A file named in the config must be readable at load, so a typo fails here, not at accept.
bool check_readable(const Entry& e, Reader& r, const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) {
    r.error_in(e, "cannot read " + path + ": " + std::strerror(errno));
    return false;
  }
  return true;
}

void parse_tls(const Entry& e, Reader& r, TlsListenerConfig& tls) {
  static constexpr std::array<std::string_view, 4> kKeys{"certificates", "client_ca",
                                                         "verify_client", "tls13_only"};
  r.for_each_key(e, "tls", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "certificates") {
      r.for_each_item(kv, /*scalar_is_list=*/false, [&](const Entry& item) {
        static constexpr std::array<std::string_view, 2> kCertKeys{"cert", "key"};
        TlsCertificateConfig c;
        r.for_each_key(item, "certificate", kCertKeys, [&](std::string_view k, const Entry& v) {
          auto text = r.scalar(v, "a file path");
          if (!text || !check_readable(v, r, *text)) return;
          (k == "cert" ? c.cert_file : c.key_file) = *text;
        });
        if (c.cert_file.empty() || c.key_file.empty()) {
          r.error_in(item, "a certificate needs both 'cert' and 'key'");
          return;
        }
        tls.certificates.push_back(std::move(c));
      });
    } else if (key == "client_ca") {
      auto text = r.scalar(kv, "a file path");
      if (text && check_readable(kv, r, *text)) tls.client_ca_file = *text;
    } else if (key == "verify_client") {
      auto text = r.scalar(kv, "off, optional or require");
      if (!text) return;
      if (*text == "off") {
        tls.verify_client = TlsListenerConfig::VerifyClient::kOff;
      } else if (*text == "optional") {
        tls.verify_client = TlsListenerConfig::VerifyClient::kOptional;
      } else if (*text == "require") {
        tls.verify_client = TlsListenerConfig::VerifyClient::kRequire;
      } else {
        r.error_in(kv, "expected off, optional or require, got '" + *text + "'");
      }
    } else if (key == "tls13_only") {
      r.read(kv, "true or false", parse_bool, &tls.tls13_only);
    }
  });
  if (tls.certificates.empty()) r.error_in(e, "tls needs at least one certificate");
  if (tls.verify_client != TlsListenerConfig::VerifyClient::kOff && tls.client_ca_file.empty()) {
    r.error_in(e, "verify_client needs client_ca (the CA that signs client certificates)");
  }
}

// {address: "host:port", tls: {...}}
void parse_listener_map(const Entry& e, Reader& r, Config& out) {
  static constexpr std::array<std::string_view, 2> kKeys{"address", "tls"};
  ListenerConfig l;
  bool have_address = false;
  r.for_each_key(e, "listen", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "address") {
      have_address = r.read(kv, "a listen address \"host:port\"", parse_listener, &l.address);
    } else if (key == "tls") {
      l.tls.emplace();
      parse_tls(kv, r, *l.tls);
    }
  });
  if (!have_address) {
    r.error_in(e, "a listener needs 'address'");
    return;
  }
  out.listeners.push_back(std::move(l));
}

}  // namespace

// listen: "host:port" | ["host:port" | {address, tls}, ...]
void parse_listen_section(const Entry& e, Reader& r, Config& out) {
  out.listeners.clear();
  if (e.value.IsNull() || (e.value.IsSequence() && e.value.size() == 0)) {
    r.error_in(e, "at least one listen address is required");
    return;
  }
  if (e.value.IsMap()) {
    r.error_in(e, "expected \"host:port\" or a list of them, got a map");
    return;
  }
  r.for_each_item(e, /*scalar_is_list=*/true, [&](const Entry& item) {
    if (item.value.IsMap()) {
      parse_listener_map(item, r, out);
      return;
    }
    HostPort hp;
    if (r.read(item, "a listen address \"host:port\"", parse_listener, &hp)) {
      out.listeners.push_back(ListenerConfig{std::move(hp), std::nullopt});
    }
  });
}

// workers: auto | N
void parse_workers_section(const Entry& e, Reader& r, Config& out) {
  r.read(e, "'auto' or a number", parse_workers, &out.workers);
}

// admin: off | "host:port" | {enabled: bool, address: "host:port"}
void parse_admin_section(const Entry& e, Reader& r, Config& out) {
  if (e.value.IsScalar()) {
    if (e.value.Scalar() == "off" || e.value.Scalar() == "false") {
      out.admin.enabled = false;
      return;
    }
    out.admin.enabled = true;
    if (r.read(e, "an address", parse_admin_address, &out.admin.address)) {
      r.mark_set("admin.address", r.location(e.value_mark()));
    }
    return;
  }
  static constexpr std::array<std::string_view, 2> kKeys{"enabled", "address"};
  r.for_each_key(e, "admin", kKeys, [&](std::string_view key, const Entry& kv) {
    if (key == "enabled") {
      r.read(kv, "true or false", parse_bool, &out.admin.enabled);
    } else if (key == "address") {
      r.read(kv, "an address \"host:port\"", parse_admin_address, &out.admin.address);
    }
  });
}

void check_addresses(Reader& r, Config& c) {
  if (c.listeners.empty()) {
    r.error_for("listen", "at least one listen address is required");
    return;
  }
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (overlaps(c.listeners[i].address, c.listeners[j].address)) {
        r.error_for("listen[" + std::to_string(i) + "]",
                    c.listeners[i].address.to_string() + " overlaps listen[" + std::to_string(j) +
                        "] " + c.listeners[j].address.to_string());
      }
    }
    if (c.admin.enabled && overlaps(c.admin.address, c.listeners[i].address)) {
      r.error_for("admin.address", c.admin.address.to_string() + " collides with listener " +
                                       c.listeners[i].address.to_string());
    }
  }
}

}  // namespace portcullis::config
