/// Runs `work` to the end even if the caller is cancelled meanwhile (a reload restarting the
/// poller, a shutdown): a poll's result, a batch's scores or a delivery's outcome that reached the
/// database layer is written, not rolled back half-way and done again. The caller still sees its
/// own cancellation at its next suspension point.
func uncancelled<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await work() }.value
}
