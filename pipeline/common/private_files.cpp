#include "common/private_files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace logdeck {

Result<void> createPrivateDirectory(const std::string &dir)
{
    // Every directory this creates, parents included, is 0700: mkdir's mode is reduced by
    // the umask, which never adds permissions. Existing ones are left as they are.
    std::vector<std::filesystem::path> missing;
    std::error_code ec;
    for (auto path = std::filesystem::path(dir); !path.empty() && !std::filesystem::exists(path, ec);
         path = path.parent_path()) {
        missing.push_back(path);
        if (path == path.parent_path()) {
            break;
        }
    }
    for (auto it = missing.rbegin(); it != missing.rend() && !ec; ++it) {
        if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
            ec = std::error_code(errno, std::generic_category());
        }
    }
    if (ec || !std::filesystem::is_directory(dir, ec)) {
        return fail(Error::io("cannot create the data directory " + dir + ": "
                              + (ec ? ec.message() : std::string("a file is in the way"))
                              + "; check its permissions or choose another directory"));
    }
    return {};
}

Result<void> createPrivateFile(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        return fail(Error::io("cannot create " + path + ": " + std::strerror(errno)));
    }
    return {};
}

bool isOpenToOthers(const std::string &dir)
{
    struct stat info {};
    return ::stat(dir.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

} // namespace logdeck
