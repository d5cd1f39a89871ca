import Foundation
import Testing
@testable import Transformer

@Suite("Helper threads of one forward pass")
struct WorkerPoolTests {
    @Test("every part runs exactly once per run, back to back and after the helpers fell asleep")
    func partsRunOnce() async throws {
        try await offPool {
            let pool = try #require(WorkerPool(threads: 3))
            #expect(pool.threads == 3)
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            for run in 0..<2_000 {
                let parts = 1 + run % 64
                counts.initialize(repeating: 0, count: 64)
                pool.run(parts: parts) { part in counts[part] += 1 }  // each part is one thread's alone
                #expect((0..<parts).allSatisfy { counts[$0] == 1 } && (parts..<64).allSatisfy { counts[$0] == 0 },
                        "run \(run): \((0..<parts).map { counts[$0] })")
                // Now and then long enough for the helpers to stop spinning and wait on the condition.
                if run % 500 == 499 { Thread.sleep(forTimeInterval: 0.01) }
            }
        }
    }

    @Test("a pool that is released joins its helpers (no thread left behind)")
    func releaseJoins() throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        for _ in 0..<20 {
            let pool = try #require(WorkerPool(threads: 4))
            pool.run(parts: 8) { _ in }
        }
        let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        // 60 helpers would be left without the join; other tests' threads come and go meanwhile.
        #expect(after < before + 30, "threads: \(before) before, \(after) after 20 pools of 3 helpers")
    }
}
