// Whole-file reads and atomic writes.

#include <refmatch/io.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace refmatch {

std::string read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error("cannot open '" + path.string() + "': " + std::strerror(errno));
    // Read straight into a string of the file's size (no stream buffer, no second copy); a file
    // that grows or is not regular (a pipe) is read on to its end.
    struct stat st {};
    std::string out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    char more[65536];
    for (;;) {
        // Into the string while it has room, then through a small buffer (so that the string is
        // not grown just to learn that the file has ended).
        const bool room = done < out.size();
        const auto n =
            room ? ::read(fd, out.data() + done, out.size() - done) : ::read(fd, more, sizeof more);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string reason = std::strerror(errno);
            ::close(fd);
            throw error("cannot read '" + path.string() + "': " + reason);
        }
        if (n == 0) break;
        if (!room) out.append(more, static_cast<std::size_t>(n));
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
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
