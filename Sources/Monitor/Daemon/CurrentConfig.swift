import Synchronization

/// The configuration in force, replaced whole when a reload succeeds.
/// Services read it at the start of each unit of work.
public final class CurrentConfig: Sendable {
    private let value: Mutex<MonitorConfig>

    public init(_ config: MonitorConfig) {
        value = Mutex(config)
    }

    /// The configuration now in force.
    public var config: MonitorConfig { value.withLock { $0 } }

    /// Replaces the configuration; returns the one it replaced.
    @discardableResult
    public func replace(with config: MonitorConfig) -> MonitorConfig {
        value.withLock { current in
            let old = current
            current = config
            return old
        }
    }
}
