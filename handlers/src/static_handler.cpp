// cowboy_static as a rest_handler: the file is found and opened in malformed_request (the first
// callback that may refuse), and every later callback answers from that open descriptor.
#include "rodeo/static_handler.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "rodeo/mimetypes.hpp"
#include "rodeo/req.hpp"
#include "rodeo/rest.hpp"

namespace rodeo {
namespace {

std::optional<std::string> real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (!::realpath(p.c_str(), buf)) return std::nullopt;
  return std::string{buf};
}

bool is_within(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.starts_with(root) &&
                          (root.ends_with("/") || path[root.size()] == '/'));
}

class static_h final : public rest_handler {
 public:
  static_h(std::shared_ptr<const std::string> root, bool dir,
           std::shared_ptr<const static_options> opts)
      : root_(std::move(root)), dir_(dir), opts_(std::move(opts)) {}

  result<bool> malformed_request(req& r) override {
    path_ = *root_;
    if (dir_) {
      for (auto& seg : r.path_info().value_or(std::vector<std::string>{})) {
        if (seg == ".." || seg.find_first_of(std::string_view{"/\\\0", 3}) != std::string::npos)
          return true;
        if (seg.empty() || seg == ".") continue;
        path_.append("/").append(seg);
      }
    }
    find();
    return false;
  }

  result<bool> forbidden(req&) override { return what_ == found::forbidden; }
  result<bool> resource_exists(req&) override { return what_ == found::file; }

  result<std::vector<rest::provided>> content_types_provided(req&) override {
    auto type = opts_->mimetypes ? opts_->mimetypes(path_) : std::string{mimetypes::web(path_)};
    if (!negotiation::media_type::parse(type)) type = "application/octet-stream";
    return {{type, [this](req&) -> result<rest::body> {
               return file_;
             }}};
  }

  result<std::optional<std::vector<std::string>>> charsets_provided(req&) override {
    if (!opts_->charset) return std::optional<std::vector<std::string>>{};
    return std::optional{std::vector<std::string>{*opts_->charset}};
  }

  result<std::optional<std::vector<rest::range_unit>>> ranges_provided(req&) override {
    return std::optional{std::vector<rest::range_unit>{{"bytes", {}}}};
  }

  std::optional<http_header::etag> generate_etag(req&) override {
    if (opts_->etag_off || what_ != found::file) return std::nullopt;
    if (opts_->etag) return opts_->etag(path_, file_.length, mtime_.tv_sec);
    // Cowboy's default: a strong tag changing with size and modification time.
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%llx-%llx-%lx",
                          static_cast<unsigned long long>(file_.length),
                          static_cast<unsigned long long>(mtime_.tv_sec), mtime_.tv_nsec);
    return http_header::etag{false, std::string(buf, static_cast<std::size_t>(n))};
  }

  std::optional<std::time_t> last_modified(req&) override {
    if (what_ != found::file) return std::nullopt;
    return mtime_.tv_sec;
  }

 private:
  enum class found { missing, forbidden, file };

  void find() {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      what_ = errno == EACCES || errno == ELOOP ? found::forbidden : found::missing;
      return;
    }
    auto owner = std::shared_ptr<const int>(new int(fd), [](const int* p) {
      ::close(*p);
      delete p;
    });
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      what_ = found::forbidden;  // directories, devices, FIFOs
      return;
    }
    if (dir_ && !opts_->follow_symlinks_outside) {
      auto root = real_path(*root_);
      auto real = real_path(path_);
      if (!root || !real || !is_within(*real, *root)) {
        what_ = found::forbidden;
        return;
      }
    }
    // The descriptor stays blocking for reads: regular files do not block on readiness.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    file_ = rest::file_body{std::move(owner), 0, static_cast<std::uint64_t>(st.st_size)};
    mtime_ = st.st_mtim;
    what_ = found::file;
  }

  std::shared_ptr<const std::string> root_;
  bool dir_;
  std::shared_ptr<const static_options> opts_;
  std::string path_;
  found what_ = found::missing;
  rest::file_body file_;
  timespec mtime_{};
};

handler_ref make_static(std::string path, bool dir, static_options opts) {
  while (dir && path.size() > 1 && path.ends_with("/")) path.pop_back();
  return handler_of<static_h>(std::make_shared<const std::string>(std::move(path)), dir,
                              std::make_shared<const static_options>(std::move(opts)));
}

}  // namespace

handler_ref static_file(std::string path, static_options opts) {
  return make_static(std::move(path), false, std::move(opts));
}

handler_ref static_dir(std::string dir, static_options opts) {
  return make_static(std::move(dir), true, std::move(opts));
}

}  // namespace rodeo
