#pragma once
// A fresh directory per test, removed at the end. CTest runs test cases in
// parallel processes, so a fixed path would be shared between them.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace mlsub::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mlsub-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(m_path / name) << text;
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace mlsub::test
