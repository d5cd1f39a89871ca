import ServiceLifecycle

/// Runs a service's work until it ends or a graceful shutdown cancels it. Cancellation is
/// how these services stop, so it ends `run()` normally instead of failing the group.
func runUntilShutdown(_ work: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown { try await work() }
    } catch is CancellationError {
        return
    } catch where Task.isCancelled {
        return  // libraries below (the store, HTTP) may report cancellation with their own errors
    }
}
