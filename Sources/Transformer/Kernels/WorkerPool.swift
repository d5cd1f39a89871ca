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
