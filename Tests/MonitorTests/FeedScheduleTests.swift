@testable import Config
import Foundation
import Testing
@testable import Monitor

@Suite("Polling schedule")
struct FeedScheduleTests {
    @Test("the interval with ±10% jitter, never below RSS <ttl> or Cache-Control max-age (those capped)")
    func afterSuccess() {
        let low = FeedSchedule.afterSuccess(interval: .seconds(60), ttlSeconds: nil, maxAgeSeconds: nil, ceiling: .seconds(3600), random: 0)
        let high = FeedSchedule.afterSuccess(interval: .seconds(60), ttlSeconds: nil, maxAgeSeconds: nil, ceiling: .seconds(3600), random: 0.999)
        #expect(low == .seconds(54) && high > .seconds(65) && high <= .seconds(66))
        #expect(FeedSchedule.afterSuccess(interval: .seconds(60), ttlSeconds: 600, maxAgeSeconds: 300, ceiling: .seconds(3600), random: 0.5) == .seconds(600))
        #expect(FeedSchedule.afterSuccess(interval: .seconds(60), ttlSeconds: nil, maxAgeSeconds: 31_536_000, ceiling: .seconds(3600), random: 0.5) == .seconds(3600))
    }

    @Test("exponential backoff from the interval up to the cap; Retry-After is a floor")
    func afterFailure() {
        let delays = (1...8).map { FeedSchedule.afterFailure(interval: .seconds(10), streak: $0, maxBackoff: .seconds(300), retryAfter: nil, random: 0.5) }
        #expect(delays == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300), .seconds(300)])
        #expect(FeedSchedule.afterFailure(interval: .seconds(10), streak: 1, maxBackoff: .seconds(300), retryAfter: .seconds(120), random: 0.5) == .seconds(120))
        #expect(FeedSchedule.afterFailure(interval: .seconds(10), streak: 1, maxBackoff: .seconds(300), retryAfter: .seconds(999_999), random: 0.5) == .seconds(86_400))
    }

    @Test("Retry-After in seconds or as an HTTP date; max-age unless no-cache/no-store")
    func headers() {
        let now = Date(timeIntervalSince1970: 1_795_615_200)  // Wed, 25 Nov 2026 14:00:00 GMT
        #expect(FeedSchedule.retryAfter("120", now: now) == .seconds(120))
        #expect(FeedSchedule.retryAfter("Wed, 25 Nov 2026 14:02:00 GMT", now: now) == .seconds(120))
        #expect(FeedSchedule.retryAfter("Wednesday, 25-Nov-26 14:02:00 GMT", now: now) == .seconds(120))
        #expect(FeedSchedule.retryAfter("Wed Nov 25 14:02:00 2026", now: now) == .seconds(120))
        #expect(FeedSchedule.retryAfter("soon", now: now) == nil)
        #expect(FeedSchedule.maxAge("public, max-age=600") == 600)
        #expect(FeedSchedule.maxAge("max-age=600, no-cache") == nil)
        #expect(FeedSchedule.maxAge(nil) == nil)
    }
}
