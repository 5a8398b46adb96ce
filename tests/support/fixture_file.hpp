#pragma once
// A test's fixture file: the fixtures/ folder beside the test's source.

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace runhooks::test {

/// The bytes of fixtures/`name` beside `test_source` (the test's __FILE__).
/// Throws when it cannot be read: the test fails, saying which.
inline std::string read_fixture(const std::string& test_source, const std::string& name) {
  const std::string path = test_source.substr(0, test_source.rfind('/')) + "/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the fixture " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace runhooks::test
