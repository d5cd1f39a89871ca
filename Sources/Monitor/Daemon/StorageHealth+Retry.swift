import API
import Config
import Foundation
import Logging

extension StorageHealth {
    /// Runs a database write; while the storage refuses writes (disk full), waits a probe interval and
    /// runs it again, so the work in hand is kept rather than dropped or thrown out of the service.
    /// Other errors are thrown as before. `wrote`: whether success proves the database takes writes
    /// again (false for what may only read, such as a claim on SQLite).
    func retrying<T>(time: any TimeSource, logger: Logger, wrote: Bool = true, _ write: () async throws -> T) async throws -> T {
        while true {
            do {
                let result = try await write()
                if wrote { succeeded(at: time.now, logger: logger) }
                return result
            } catch where failed(error, at: time.now, logger: logger) {
                try await time.sleep(for: .seconds(Self.probeInterval))
            }
        }
    }
}
