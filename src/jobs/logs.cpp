// mlsub logs: a job's output file, found through the journal, and followed
// until the job ends.

#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "mlsub/submit.hpp"

namespace mlsub {
namespace {

// Hands what `path` holds past `offset` to `sink` and moves `offset` on.
// False when the file is not there.
bool read_from(const std::string& path, std::streamoff& offset,
               const std::function<void(std::string_view)>& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  in.seekg(offset);
  std::string chunk(65536, '\0');
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    sink(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount())));
    offset += in.gcount();
  }
  return true;
}

}  // namespace

Expected<std::string> job_output_file(const Journal& journal, const std::string& job_id) {
  auto record = journal.find(job_id);
  if (!record) {
    return tl::unexpected(record.error());
  }
  if (!*record) {
    return fail(ErrorKind::usage,
                fmt::format("job {} is not in the journal {}; mlsub logs knows only jobs "
                            "submitted with mlsub submit",
                            job_id, journal.path()));
  }
  const JobRecord& r = **record;
  return output_file(r.output, job_id, r.job_name, r.cwd);
}

Expected<void> follow_output(SlurmClient& slurm, const std::string& job_id, const std::string& path,
                             bool follow, std::chrono::milliseconds poll,
                             const std::function<void(std::string_view)>& sink) {
  std::streamoff offset = 0;
  for (;;) {
    const bool there = read_from(path, offset, sink);
    if (!follow) {
      if (!there) {
        return fail(ErrorKind::io, fmt::format("{} does not exist (yet): the job may still be "
                                               "pending; mlsub status {} tells",
                                               path, job_id));
      }
      return {};
    }
    auto s = job_state(slurm, job_id);
    if (!s) {
      return tl::unexpected(s.error());
    }
    if (!*s || is_finished((*s)->state)) {
      read_from(path, offset, sink);  // what was written before the end
      return {};
    }
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace mlsub
