// check_ca_trust: the certificate authorities a transport is given, checked
// when it is made, so that a mistyped path is said plainly rather than as a
// TLS failure of every delivery.

#include <runhooks/transport.hpp>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace runhooks {

namespace {

constexpr std::size_t kMaxPathShown = 256;

std::string quoted(const std::string& path) {
  return "'" + (path.size() > kMaxPathShown ? path.substr(0, kMaxPathShown) + "..." : path) + "'";
}

// errno's text (std::strerror is not thread-safe).
std::string last_error() { return std::error_code(errno, std::generic_category()).message(); }

Error problem(const char* field, const std::string& path, const std::string& what) {
  return Error::invalid(field, std::string(field) + " " + quoted(path) + " " + what);
}

// Whether OpenSSL reads at least one certificate from the PEM file, as
// libcurl's CAINFO will.
bool holds_pem_certificate(const std::string& path) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return true;  // out of memory: libcurl will say what is wrong
  const bool loaded = X509_STORE_load_file(store, path.c_str()) == 1;
  X509_STORE_free(store);
  ERR_clear_error();  // the thread's OpenSSL error queue is libcurl's too
  return loaded;
}

Result<void> check_ca_file(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return problem("ca_file", path, "cannot be read: " + last_error());
  if (S_ISDIR(info.st_mode)) return problem("ca_file", path, "is a directory, not a PEM file (a directory is ca_path)");
  if (access(path.c_str(), R_OK) != 0) return problem("ca_file", path, "cannot be read: " + last_error());
  if (!holds_pem_certificate(path)) return problem("ca_file", path, "holds no PEM certificate OpenSSL can read");
  return {};
}

Result<void> check_ca_path(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return problem("ca_path", path, "cannot be read: " + last_error());
  }
  if (!S_ISDIR(info.st_mode)) return problem("ca_path", path, "is not a directory");
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return problem("ca_path", path, "cannot be read: " + last_error());
  closedir(dir);
  return {};
}

}  // namespace

Result<void> check_ca_trust(const std::string& ca_file, const std::string& ca_path) {
  if (!ca_file.empty()) {
    if (auto checked = check_ca_file(ca_file); !checked) return checked;
  }
  if (!ca_path.empty()) return check_ca_path(ca_path);
  return {};
}

}  // namespace runhooks
