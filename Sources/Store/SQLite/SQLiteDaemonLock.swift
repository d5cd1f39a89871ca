import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One monitord per SQLite file: an exclusive `flock` on `<database>.lock`, held for the life of
/// the process (the kernel drops it when the process ends, however it ends). Several instances
/// share work through PostgreSQL, not through one SQLite file.
public final class SQLiteDaemonLock: Sendable {
    let descriptor: Int32
    public let path: String

    /// Takes the lock, or says which process holds it.
    public init(database: String) throws {
        path = database + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.cannotOpen(path: database, message: "cannot create lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw StoreError.cannotOpen(path: database, message: "another monitord uses this database"
                + (holder.isEmpty ? "" : " (pid \(holder))")
                + "; one instance per SQLite file — run several instances on PostgreSQL")
        }
        descriptor = fd
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit { close(descriptor) }
}
