#include "mlsub/submit.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "mlsub/process.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

constexpr const char* k_no_sbatch =
    ": mlsub submit needs a Slurm login node (mlsub plan works anywhere, and prints the script)";

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return "";
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// Slurm's message, on one line.
std::string one_line(std::string_view text) {
  std::string out = trim(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return out.empty() ? "(no message)" : out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

Expected<Submitted> parse_parsable(std::string_view out) {
  const std::string line = trim(out);
  const auto semicolon = line.find(';');
  Submitted s;
  s.job_id = line.substr(0, semicolon);
  if (semicolon != std::string::npos) {
    s.cluster = line.substr(semicolon + 1);
  }
  if (!all_digits(s.job_id) || line.find('\n') != std::string::npos) {
    return fail(ErrorKind::slurm,
                fmt::format("sbatch printed no job id (it printed '{}'); check squeue --me before "
                            "submitting again",
                            one_line(line.substr(0, 200))));
  }
  return s;
}

Expected<Submitted> sbatch_submit(const std::string& script, const std::string& comment,
                                  std::chrono::milliseconds timeout) {
  auto r = run_process({"sbatch", "--parsable", "--comment=" + comment, script}, timeout,
                       k_no_sbatch);
  if (!r) {
    Error e = r.error();
    e.unclear = e.message.find("did not finish") != std::string::npos;  // killed mid-way
    return tl::unexpected(e);
  }
  if (r->exit_code != 0) {
    return fail(ErrorKind::slurm, fmt::format("sbatch refused the job: {}", one_line(r->err)));
  }
  auto parsed = parse_parsable(r->out);
  if (!parsed) {
    Error e = parsed.error();
    e.unclear = true;  // sbatch said it succeeded, but not with what
    return tl::unexpected(e);
  }
  return parsed;
}

std::string request_id(const std::vector<std::string>& command_line, const std::string& cwd) {
  // FNV-1a, 64 bits: stable across runs and builds, unlike std::hash.
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view text) {
    for (const char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // a separator no argument can contain in this position
    h *= 1099511628211ULL;
  };
  mix(cwd);
  for (const auto& word : command_line) {
    mix(word);
  }
  return fmt::format("{:016x}", h);
}

Expected<std::optional<std::string>> find_job_by_comment(const std::string& comment,
                                                         std::chrono::milliseconds timeout) {
  auto r = run_process({"squeue", "--noheader", "--format", "%i|%k"}, timeout, k_no_sbatch);
  if (!r) {
    return tl::unexpected(r.error());
  }
  if (r->exit_code != 0) {
    return fail(ErrorKind::slurm, fmt::format("squeue failed: {}", one_line(r->err)));
  }
  std::size_t at = 0;
  while (at < r->out.size()) {
    auto end = r->out.find('\n', at);
    if (end == std::string::npos) {
      end = r->out.size();
    }
    const std::string_view line(r->out.data() + at, end - at);
    at = end + 1;
    const auto bar = line.find('|');
    if (bar != std::string_view::npos && trim(line.substr(bar + 1)) == comment) {
      return std::optional<std::string>(std::string(line.substr(0, bar)));
    }
  }
  return std::optional<std::string>();
}

Expected<std::string> sbatch_test_only(const std::string& script,
                                       std::chrono::milliseconds timeout) {
  auto r = run_process({"sbatch", "--test-only", script}, timeout, k_no_sbatch);
  if (!r) {
    return tl::unexpected(r.error());
  }
  const std::string said = one_line(r->err + r->out);
  if (r->exit_code != 0) {
    return fail(ErrorKind::slurm, fmt::format("Slurm would refuse the job: {}", said));
  }
  return said;
}

Expected<std::string> create_job_folder(const std::string& base, const std::string& name,
                                        const std::map<std::string, std::string>& files) {
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("cannot create the job folder {}: {}; choose another "
                                           "with --dir",
                                           base, ec.message()));
  }
  std::string tmp = (fs::path(base) / ".mlsub-new-XXXXXX").string();
  if (mkdtemp(tmp.data()) == nullptr) {
    return fail(ErrorKind::io, fmt::format("cannot write in {}: {}; choose another folder with "
                                           "--dir",
                                           base, std::strerror(errno)));
  }
  for (const auto& [file, text] : files) {
    const fs::path path = fs::path(tmp) / file;
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      fs::remove_all(tmp, ec);
      return fail(ErrorKind::io, fmt::format("cannot write {}", path.string()));
    }
  }
  for (int n = 1; n < 1000; ++n) {
    const fs::path target =
        fs::path(base) / (n == 1 ? name : fmt::format("{}-{}", name, n));
    // rename(2) of a directory onto an existing non-empty one fails, so a
    // taken name is never overwritten.
    if (std::rename(tmp.c_str(), target.c_str()) == 0) {
      return target.string();
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
      const std::string why = std::strerror(errno);
      fs::remove_all(tmp, ec);
      return fail(ErrorKind::io, fmt::format("cannot create {}: {}", target.string(), why));
    }
  }
  fs::remove_all(tmp, ec);
  return fail(ErrorKind::io, fmt::format("too many job folders named {} in {}", name, base));
}

std::string journal_path() {
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

Expected<void> append_journal(const std::string& path, const nlohmann::json& entry) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorKind::io, fmt::format("cannot open the journal {}: {}", path,
                                           std::strerror(errno)));
  }
  const std::string line = entry.dump() + "\n";
  bool ok = flock(fd, LOCK_EX) == 0;
  std::size_t written = 0;
  while (ok && written < line.size()) {
    const ssize_t n = write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    written += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ok && fsync(fd) == 0;
  const std::string why = std::strerror(errno);
  close(fd);  // also releases the lock
  if (!ok) {
    return fail(ErrorKind::io, fmt::format("cannot write the journal {}: {}", path, why));
  }
  return {};
}

Expected<std::vector<nlohmann::json>> read_journal(const std::string& path, int& skipped) {
  std::vector<nlohmann::json> entries;
  skipped = 0;
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
      return fail(ErrorKind::io, fmt::format("cannot read the journal {}", path));
    }
    return entries;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.is_object() || !entry.contains("job_id") ||
        !entry["job_id"].is_string()) {
      ++skipped;
      continue;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Expected<std::string> output_file(const std::string& pattern, const std::string& job_id,
                                  const std::string& job_name, const std::string& cwd) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    const char code = pattern[++i];
    switch (code) {
      case 'j':
        out += job_id;
        break;
      case 'x':
        out += job_name;
        break;
      case 'u': {
        const char* user = std::getenv("USER");
        out += user != nullptr ? user : "";
        break;
      }
      case '%':
        out += '%';
        break;
      default:
        return fail(ErrorKind::usage,
                    fmt::format("cannot tell which file '{}' names (%{} is not supported here); "
                                "look in the job's folder",
                                pattern, code));
    }
  }
  const fs::path p(out);
  return p.is_absolute() ? out : (fs::path(cwd) / p).string();
}

}  // namespace mlsub
