#include "mlsub/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace mlsub {
namespace {

constexpr std::size_t k_block = 64 * 1024;

// Closes a file descriptor (and so releases its lock) on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) {
      close(fd);
    }
  }
};

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool read_at(int fd, std::string& buffer, off_t at) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = pread(fd, buffer.data() + done, buffer.size() - done,
                            at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Calls `visit` with each non-empty line from the last to the first,
// reading the file in blocks from its end, until it returns false.
Expected<void> lines_from_end(const std::string& path, JournalReadStats& stats,
                              const std::function<bool(std::string_view)>& visit) {
  stats = {};
  const Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) {
      return {};
    }
    return fail(ErrorKind::io, fmt::format("cannot read the journal {}: {}", path, std::strerror(errno)));
  }
  off_t at = lseek(f.fd, 0, SEEK_END);
  std::string block;
  std::string tail;  // the start of a line is in an earlier block
  while (at > 0) {
    const auto size = static_cast<std::size_t>(std::min<off_t>(at, k_block));
    at -= static_cast<off_t>(size);
    block.assign(size, '\0');
    if (!read_at(f.fd, block, at)) {
      return fail(ErrorKind::io, fmt::format("cannot read the journal {}", path));
    }
    stats.bytes += size;
    block += tail;
    std::size_t end = block.size();
    while (end > 0) {
      const auto nl = block.rfind('\n', end - 1);
      if (nl == std::string::npos) {
        break;
      }
      const std::string_view line(block.data() + nl + 1, end - nl - 1);
      if (!line.empty()) {
        ++stats.lines;
        if (!visit(line)) {
          return {};
        }
      }
      end = nl;
    }
    tail.assign(block, 0, end);
  }
  if (!tail.empty()) {
    ++stats.lines;
    visit(tail);
  }
  return {};
}

// The value of "job_id" in a line as mlsub writes it ("job_id":"123"),
// found without parsing the line; nullopt when the line has no such key
// in that form (it is then parsed to be sure).
std::optional<std::string_view> quick_job_id(std::string_view line) {
  constexpr std::string_view key = "\"job_id\"";
  auto at = line.find(key);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  at += key.size();
  while (at < line.size() && (line[at] == ' ' || line[at] == ':')) {
    ++at;
  }
  if (at >= line.size() || line[at] != '"') {
    return std::nullopt;
  }
  const auto close = line.find('"', at + 1);
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  const auto id = line.substr(at + 1, close - at - 1);
  if (id.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  return id;
}

std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
}

}  // namespace

void to_json(nlohmann::json& j, const JobRecord& r) {
  j = nlohmann::json{{"job_id", r.job_id},       {"cluster", r.cluster},
                     {"system", r.system},       {"partition", r.partition},
                     {"job_name", r.job_name},   {"folder", r.folder},
                     {"cwd", r.cwd},             {"output", r.output},
                     {"command_line", r.command_line}, {"submitted_at", r.submitted_at}};
}

void from_json(const nlohmann::json& j, JobRecord& r) {
  r.job_id = j.at("job_id").get<std::string>();
  r.cluster = text(j, "cluster");
  r.system = text(j, "system");
  r.partition = text(j, "partition");
  r.job_name = text(j, "job_name");
  r.folder = text(j, "folder");
  r.cwd = text(j, "cwd");
  r.output = text(j, "output");
  if (const auto it = j.find("command_line"); it != j.end() && !it->is_null()) {
    r.command_line = it->get<std::vector<std::string>>();
  }
  r.submitted_at = text(j, "submitted_at");
}

std::optional<JobRecord> parse_job_record(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  try {
    return j.get<JobRecord>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string Journal::default_path() {
  if (const char* p = std::getenv("MLSUB_JOURNAL"); p != nullptr && *p != '\0') {
    return p;
  }
  if (const char* d = std::getenv("XDG_DATA_HOME"); d != nullptr && *d != '\0') {
    return (fs::path(d) / "mlsub" / "jobs.jsonl").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr ? home : ".") / ".local" / "share" / "mlsub" / "jobs.jsonl")
      .string();
}

Expected<void> Journal::append(const JobRecord& record) const {
  std::error_code ec;
  fs::create_directories(fs::path(m_path).parent_path(), ec);
  const std::string line = nlohmann::json(record).dump() + "\n";
  // Whoever prunes the journal (docs/guides/monitoring.md) replaces the
  // file under the same lock: a line is written only into the file the
  // path names once the lock is held.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const Fd f{open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)};
    if (f.fd < 0) {
      return fail(ErrorKind::io, fmt::format("cannot open the journal {}: {}", m_path,
                                             std::strerror(errno)));
    }
    if (flock(f.fd, LOCK_EX) != 0) {
      break;
    }
    struct stat held {};
    struct stat named {};
    if (fstat(f.fd, &held) == 0 && stat(m_path.c_str(), &named) == 0 &&
        (held.st_ino != named.st_ino || held.st_dev != named.st_dev)) {
      continue;  // replaced while we waited: write into the new file
    }
    if (!write_all(f.fd, line) || fsync(f.fd) != 0) {
      break;
    }
    return {};
  }
  return fail(ErrorKind::io, fmt::format("cannot write the journal {}: {}", m_path,
                                         std::strerror(errno)));
}

Expected<int> Journal::read(const std::function<bool(const JobRecord&)>& visit) const {
  std::ifstream in(m_path);
  if (!in) {
    std::error_code ec;
    if (fs::exists(m_path, ec)) {
      return fail(ErrorKind::io, fmt::format("cannot read the journal {}", m_path));
    }
    return 0;
  }
  m_stats = {};
  int skipped = 0;
  for (std::string line; std::getline(in, line);) {
    m_stats.bytes += line.size() + 1;
    if (line.empty()) {
      continue;
    }
    ++m_stats.lines;
    ++m_stats.parsed;
    if (auto record = parse_job_record(line)) {
      if (!visit(*record)) {
        break;
      }
    } else {
      ++skipped;
    }
  }
  return skipped;
}

Expected<std::optional<JobRecord>> Journal::find(std::string_view job_id) const {
  auto found = find_all({std::string(job_id)});
  if (!found) {
    return tl::unexpected(found.error());
  }
  if (found->empty()) {
    return std::optional<JobRecord>();
  }
  return std::optional<JobRecord>(std::move(found->begin()->second));
}

Expected<std::map<std::string, JobRecord>> Journal::find_all(
    const std::set<std::string>& job_ids) const {
  std::map<std::string, JobRecord> found;
  if (job_ids.empty()) {
    m_stats = {};
    return found;
  }
  std::size_t parsed = 0;
  auto read = lines_from_end(m_path, m_stats, [&](std::string_view line) {
    const auto quick = quick_job_id(line);
    if (quick && (job_ids.count(std::string(*quick)) == 0 || found.count(std::string(*quick)) > 0)) {
      return true;  // not a wanted job, or a later line of it was found: not parsed
    }
    ++parsed;
    auto record = parse_job_record(line);
    if (record && job_ids.count(record->job_id) > 0 && found.count(record->job_id) == 0) {
      found.emplace(record->job_id, std::move(*record));
    }
    return found.size() < job_ids.size();
  });
  m_stats.parsed = parsed;
  if (!read) {
    return tl::unexpected(read.error());
  }
  return found;
}

Expected<std::vector<JobRecord>> Journal::recent(std::size_t count) const {
  std::vector<JobRecord> records;
  if (count == 0) {
    m_stats = {};
    return records;
  }
  std::size_t parsed = 0;
  auto read = lines_from_end(m_path, m_stats, [&](std::string_view line) {
    ++parsed;
    if (auto record = parse_job_record(line)) {
      records.push_back(std::move(*record));
    }
    return records.size() < count;
  });
  m_stats.parsed = parsed;
  if (!read) {
    return tl::unexpected(read.error());
  }
  return records;
}

}  // namespace mlsub
