@testable import Alerts
import Foundation
import Store
import Testing

/// The alert evaluator's incremental numbers against the definition: `EntityMetrics.compute` over
/// every observation, on randomised histories (out-of-order and future-dated mentions, time moving
/// on in uneven steps, old mentions expiring).
@Suite("Incremental entity metrics")
struct EntityHistoryTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let windows: [Duration] = [.seconds(300), .seconds(900), .seconds(3600), .seconds(21_600)]

    func observation(_ point: EntityHistory.Point) -> EntityObservation {
        EntityObservation(itemID: point.itemID, title: "", link: nil, feedID: "f", publishedAt: Date(millis: point.at),
                          sentiment: point.sentiment, risk: point.risk, label: point.negative ? "negative" : "neutral", topic: nil,
                          explanation: nil)
    }

    func expectSame(_ incremental: EntityMetrics, _ definition: EntityMetrics, _ context: String) {
        #expect(incremental.volume == definition.volume, "\(context)")
        #expect(incremental.negatives == definition.negatives, "\(context)")
        for (name, a, b) in [("sentiment", incremental.sentiment, definition.sentiment), ("risk", incremental.risk, definition.risk),
                             ("negativeShare", incremental.negativeShare, definition.negativeShare),
                             ("burst", incremental.burst, definition.burst), ("itemRisk", incremental.itemRisk, definition.itemRisk)] {
            #expect(abs(a - b) <= 1e-9, "\(name): \(a) vs \(b) \(context)")
        }
    }

    @Test("equal to a full recomputation on randomised histories, within 1e-9 (counts exactly)", arguments: [1, 2, 3, 4])
    func randomised(seed: UInt64) {
        var rng = Generator(state: seed)
        let windows = Set(Self.windows.map(\.millis))
        let span = Self.windows.map { $0.millis * Int64(1 + EntityMetrics.baselineWindows($0)) }.max()!
        var history = EntityHistory(windows: windows)
        var all: [EntityHistory.Point] = []
        var ids = Set<Int64>()
        var now: Int64 = 1_800_000_000_000
        var nextID: Int64 = 1
        // Bursts and lulls: sometimes many mentions a minute, sometimes hours of nothing.
        for step in 0..<200 {
            now += [Int64(1_000), 30_000, 300_000, 3_600_000, 20_000_000].randomElement(using: &rng)!
            var batch: [EntityHistory.Point] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                // Mostly recent, some late (published hours ago), a few dated ahead of now.
                let offset: Int64 = switch Int.random(in: 0..<10, using: &rng) {
                case 0: -Int64.random(in: 0...86_400_000, using: &rng)
                case 1: Int64.random(in: 1...1_800_000, using: &rng)
                default: -Int64.random(in: 0...120_000, using: &rng)
                }
                let negative = Bool.random(using: &rng)
                batch.append(EntityHistory.Point(at: now + offset, itemID: nextID, sentiment: Double.random(in: -1...1, using: &rng),
                                                 risk: negative ? Double.random(in: 0.3...1, using: &rng) : Double.random(in: 0...0.2, using: &rng),
                                                 negative: negative))
                nextID += 1
            }
            if step % 7 == 0, let again = all.randomElement(using: &rng) { batch.append(again) }  // read twice: counted once
            history.insert(batch, now: now)
            for point in batch where ids.insert(point.itemID).inserted { all.append(point) }
            history.advance(to: now, horizon: now - span)
            let observations = all.sorted { ($0.at, $0.itemID) < ($1.at, $1.itemID) }.map(observation)
            for window in Self.windows {
                let definition = EntityMetrics.compute(symbol: "X", window: window, observations: observations, now: Date(millis: now), count: .items)
                expectSame(history.metrics(symbol: "X", window: window, end: now), definition, "seed \(seed) step \(step) window \(window)")
            }
        }
    }

    @Test("counting stories: a story counts once, at its first item, with that item's score, however many copies arrive and in any order",
          arguments: [5, 6])
    func stories(seed: UInt64) {
        var rng = Generator(state: seed)
        let window = Duration.seconds(3600)
        let span = window.millis * Int64(1 + EntityMetrics.baselineWindows(window))
        var history = EntityHistory(windows: [window.millis])
        var observations: [EntityObservation] = []
        var stories: [StoryPoint] = []
        var now: Int64 = 1_800_000_000_000
        var nextID: Int64 = 1
        for step in 0..<150 {
            now += [Int64(10_000), 120_000, 900_000, 3_600_000].randomElement(using: &rng)!
            var batch: [EntityHistory.Point] = []
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                let at = now - Int64.random(in: 0...600_000, using: &rng)
                let negative = Bool.random(using: &rng)
                let label = negative ? "negative" : "neutral"
                let sentiment = Double.random(in: -1...1, using: &rng), risk = Double.random(in: 0...1, using: &rng)
                // Half the items are copies of a recent story (its point is its first item's), half start one.
                let story: StoryPoint
                if Bool.random(using: &rng), let recent = stories.suffix(6).randomElement(using: &rng) {
                    story = recent
                } else {
                    story = StoryPoint(id: nextID, publishedAt: Date(millis: at), sentiment: sentiment, risk: risk, label: label)
                    stories.append(story)
                }
                observations.append(EntityObservation(itemID: nextID, title: "", link: nil, feedID: "f", publishedAt: Date(millis: at),
                                                      sentiment: sentiment, risk: risk, label: label, topic: nil, explanation: nil, story: story))
                batch.append(EntityHistory.Point(story))
                nextID += 1
            }
            history.insert(batch, now: now)
            history.advance(to: now, horizon: now - span)
            let sorted = observations.sorted { ($0.publishedAt, $0.itemID) < ($1.publishedAt, $1.itemID) }
            let definition = EntityMetrics.compute(symbol: "X", window: window, observations: sorted, now: Date(millis: now), count: .stories)
            expectSame(history.metrics(symbol: "X", window: window, end: now), definition, "seed \(seed) step \(step)")
            let items = EntityMetrics.compute(symbol: "X", window: window, observations: sorted, now: Date(millis: now), count: .items)
            #expect(definition.volume <= items.volume)
        }
        let inWindow = observations.filter { $0.story.publishedAt.millis > now - window.millis }
        #expect(EntityMetrics.compute(symbol: "X", window: window, observations: observations, now: Date(millis: now), count: .stories).volume
                == Set(inWindow.map(\.story.id)).count)
    }

    @Test("between now and nextChange, nothing but the decayed risk moves", arguments: [11, 12, 13])
    func nextChangeIsTight(seed: UInt64) {
        var rng = Generator(state: seed)
        let window = Duration.seconds(900)
        var history = EntityHistory(windows: [window.millis])
        var all: [EntityObservation] = []
        var now: Int64 = 1_800_000_000_000
        for id in 1...200 {
            let at = now - Int64.random(in: 0...(window.millis * 30), using: &rng)
            let point = EntityHistory.Point(at: at, itemID: Int64(id), sentiment: -0.5, risk: 0.6, negative: id % 3 != 0)
            history.insert([point], now: now)
            all.append(observation(point))
        }
        all.sort { ($0.publishedAt, $0.itemID) < ($1.publishedAt, $1.itemID) }
        func stable(_ m: EntityMetrics) -> [Double] { [Double(m.volume), Double(m.negatives), m.sentiment, m.negativeShare, m.burst, m.itemRisk] }
        for _ in 0..<30 {
            let metrics = EntityMetrics.compute(symbol: "X", window: window, observations: all, now: Date(millis: now), count: .items)
            guard let next = history.nextChange(window: window, end: now, countsBaseline: true) else { Issue.record("no next change"); return }
            #expect(next > now)
            for t in [now + 1, (now + next) / 2, next - 1] where t < next {
                let later = EntityMetrics.compute(symbol: "X", window: window, observations: all, now: Date(millis: t), count: .items)
                #expect(stable(later) == stable(metrics), "changed at \(t - now) ms, before the predicted \(next - now) ms")
            }
            now = next
            history.advance(to: now, horizon: now - window.millis * 100)
        }
    }
}
