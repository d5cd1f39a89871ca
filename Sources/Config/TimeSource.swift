import Foundation

/// Where services read the time and wait for it. monitord uses `SystemTime`; tests inject a
/// manual one, so schedules, cooldowns, retries and give-up times are tested in milliseconds.
public protocol TimeSource: Sendable {
    /// The current time.
    var now: Date { get }
    /// Returns at `deadline` (at once when it has passed); throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

extension TimeSource {
    /// Waits `duration` from now.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.seconds))
    }
}

/// The wall clock.
public struct SystemTime: TimeSource {
    public init() {}
    public var now: Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let wait = deadline.timeIntervalSinceNow
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up)))) }
        try Task.checkCancellation()
    }
}
