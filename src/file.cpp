#include "mlsub/file.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace mlsub {

Expected<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) {
    text << in.rdbuf();
  }
  if (!in || in.bad()) {
    return fail(ErrorKind::io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  return text.str();
}

Expected<void> write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  return {};
}

}  // namespace mlsub
