// Whole-file reads and atomic writes.

#include <refmatch/io.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace refmatch {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error("cannot open '" + path.string() + "': " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw error("cannot read '" + path.string() + "'");
    return std::move(buffer).str();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    // A unique temporary name in the target directory: rename() is atomic only within one
    // file system, and the directory is the one place sure to be on the target's.
    std::string tmp_name = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(tmp_name.data());
    if (fd < 0)
        throw error("cannot create a temporary file for '" + path.string() +
                    "': " + std::strerror(errno));
    const auto fail = [&](const char* what) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        ::unlink(tmp_name.c_str());
        throw error(std::string("cannot ") + what + " '" + path.string() + "': " + reason);
    };
    std::size_t written = 0;
    while (written < contents.size()) {
        const auto n = ::write(fd, contents.data() + written, contents.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0) fail("set permissions of");
    if (::fsync(fd) != 0) fail("flush");
    if (::close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmp_name.c_str());
        throw error("cannot close '" + path.string() + "': " + reason);
    }
    if (std::rename(tmp_name.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(tmp_name.c_str());
        throw error("cannot rename into '" + path.string() + "': " + reason);
    }
}

}  // namespace refmatch
