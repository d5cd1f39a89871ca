import CKernels

/// Threads that split one layer's work (the output panels of a dense layer) for a single text:
/// the calling thread and `threads − 1` helpers that stay awake between the layers of a forward
/// pass and sleep when it is over (`CKernels_pool_*`). One run at a time: one pool per encoder.
final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer

    /// Threads taking part in a run, the caller included.
    let threads: Int

    init?(threads: Int) {
        guard let pool = CKernels_pool_create(threads) else { return nil }
        self.pool = pool
        self.threads = CKernels_pool_threads(pool)
    }

    deinit { CKernels_pool_destroy(pool) }

    /// Calls `body(first, end)` for ranges of `panels` output panels that together cover them once:
    /// one range per thread of `pool`, or all of them on this thread without a pool.
    static func splitPanels(_ panels: Int, on pool: WorkerPool?, _ body: (_ first: Int, _ end: Int) -> Void) {
        let parts = min(pool?.threads ?? 1, panels)
        guard let pool, parts > 1 else { return body(0, panels) }
        pool.run(parts: parts) { part in body(panels * part / parts, panels * (part + 1) / parts) }
    }

    /// Calls `body` once for every part in 0..<parts, on the pool's threads; returns when all are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { pointer in
                CKernels_pool_run(pool, { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }, pointer, parts)
            }
        }
    }
}
