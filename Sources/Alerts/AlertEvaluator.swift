import Config
import Foundation
import Store

/// Evaluates the rules, incrementally. The first pass reads a snapshot of the mentions every rule
/// needs (each entity's longest window with its burst baseline) and the alerts' rows; later passes
/// read only the scores written since (`AlertStore.scoresWritten`) and evaluate only the rule and
/// entity pairs whose numbers may have changed: the entity was mentioned, its alert is pending or
/// firing (time moves `for` and cooldowns on), or time moved a mention across a window edge
/// (`EntityHistory.nextChange`). Everything else keeps the answer of its last evaluation, which is
/// the answer a full pass would give. Every change is written with its event and messages in one
/// transaction.
///
/// The state is the evaluator's own: an instance that loses the `alerts` role calls `reset()`, and
/// reads everything again when it holds the role once more.
public actor AlertEvaluator {
    /// What one pass changed.
    public struct Change: Sendable, Equatable {
        public var fingerprint: String
        public var rule: String
        public var symbol: String
        public var event: AlertEventKind
        public var notified: Bool
    }

    /// What a pass did, for logs and benchmarks.
    public struct PassStats: Sendable, Equatable {
        public var pairs = 0
        public var evaluated = 0
        public var mentionsRead = 0
        public var reloaded = false
    }

    struct Pair {
        var rule: AlertRule
        var symbol: String
        var fingerprint: String
        /// The alert's row as last read or written (nil: it has none).
        var alert: AlertRecord?
        /// When time alone may change this pair's answer (nil: only a new mention can).
        var due: Int64?
    }

    struct State {
        var modelVersion: String
        var rules: [AlertRule]
        var watchlist: [String]
        var pairs: [Pair]
        var histories: [Track: EntityHistory]
        /// How far back each entity's history reaches (its rules' longest window and burst baseline).
        var spans: [String: Int64]
        var sequence: Int64
        /// Score numbers not yet visible, with when they were first missed.
        var unseen: [Int64: Int64]
        var changed: Set<String> = []
        var first = true
    }

    let store: any AlertStore & StoryStore
    /// Finds the evidence's words when an alert changes (nil: the words stored with each score).
    let explainer: (any EvidenceExplainer)?
    /// How long a score number that is not visible is asked for again: longer than any scoring transaction.
    let unseenFor: Duration
    private var state: State?
    public private(set) var lastPass = PassStats()

    public init(store: any AlertStore & StoryStore, explainer: (any EvidenceExplainer)? = nil, unseenFor: Duration = .seconds(30)) {
        self.store = store
        self.explainer = explainer
        self.unseenFor = unseenFor
    }

    /// Forgets everything read; the next pass starts from a snapshot.
    public func reset() { state = nil }

    /// The entities a rule watches: its `entities`, else the whole watchlist.
    public static func scope(of rule: AlertRule, config: MonitorConfig) -> [String] {
        rule.entities.isEmpty ? config.watchlist.map(\.symbol) : rule.entities
    }

    @discardableResult
    public func evaluate(config: MonitorConfig, modelVersion: String, now: Date) async throws -> [Change] {
        let nowMs = now.millis
        var stats = PassStats()
        let rules = config.rules
        if state == nil || state?.modelVersion != modelVersion || state?.rules != rules || !sameScope(config) {
            state = try await load(config: config, modelVersion: modelVersion, now: now)
            stats.reloaded = true
        }
        guard var state else { return [] }
        // The pass owns the state alone (its histories are mutated in place, never copied). Should it
        // throw, the state stays nil, and the next pass starts again from a snapshot.
        self.state = nil
        stats.mentionsRead = try await readNewScores(&state, now: nowMs)
        let silences = Set(try await store.activeSilences(at: now).map(\.matcher))
        var changes: [Change] = [], writes: [AlertWrite] = [], written: [(index: Int, alert: AlertRecord)] = []
        stats.pairs = state.pairs.count
        for index in state.pairs.indices {
            let pair = state.pairs[index]
            let current = pair.alert
            let active = current.map { $0.state != .resolved } ?? false
            guard state.first || active || pair.due.map({ $0 <= nowMs }) == true || Self.decaysTowardBreach(pair.rule)
                    || (!state.changed.isEmpty && state.changed.contains(pair.symbol))
            else { continue }
            stats.evaluated += 1
            // Mutated in place and read without a copy: a history (its arrays can be long) is never duplicated.
            let horizon = nowMs - (state.spans[pair.symbol] ?? 0)
            let track = Track(symbol: pair.symbol, count: pair.rule.count)
            state.histories[track, default: EntityHistory(windows: [])].advance(to: nowMs, horizon: horizon)
            let (metrics, due) = state.histories[track, default: EntityHistory(windows: [])].evaluate(pair.rule, symbol: pair.symbol, end: nowMs)
            state.pairs[index].due = due
            let machine = AlertStateMachine(rule: pair.rule)
            guard let transition = machine.step(current: current, symbol: pair.symbol, metrics: metrics,
                                                silenced: silences.contains(pair.symbol) || silences.contains(pair.rule.id), now: now)
            else { continue }
            writes.append(try await write(transition, pair: pair, metrics: metrics, config: config, modelVersion: modelVersion, now: now))
            written.append((index, transition.alert))
            changes.append(Change(fingerprint: pair.fingerprint, rule: pair.rule.id, symbol: pair.symbol, event: transition.event,
                                  notified: transition.notification != nil))
        }
        try await store.applyAlertWrites(writes)
        for (index, alert) in written { state.pairs[index].alert = alert }
        state.changed = []
        state.first = false
        self.state = state
        lastPass = stats
        return changes
    }

    /// A transition's row, event and messages, with the evidence (the window's riskiest stories or items) read for it.
    private func write(_ transition: AlertStateMachine.Transition, pair: Pair, metrics: EntityMetrics, config: MonitorConfig,
                       modelVersion: String, now: Date) async throws -> AlertWrite {
        let from = now.addingTimeInterval(-pair.rule.window.seconds)
        let observations = try await store.observations(symbol: pair.symbol, from: from, to: now, modelVersion: modelVersion)
        let evidence = AlertPayload.topEvidence(observations, window: pair.rule.window, now: now, count: pair.rule.count)
        var stories: [Int64: StoryRecord] = [:]
        if pair.rule.count == .stories {
            let ids = evidence.map(\.story.id)
            for story in try await store.stories(StoryQuery(modelVersion: modelVersion, since: .distantPast, ids: ids, limit: ids.count)) {
                stories[story.id] = story
            }
        }
        let data = AlertPayload.threshold(transition, rule: pair.rule, metrics: metrics, evidence: evidence, stories: stories,
                                          words: transition.notification == nil ? [:] : await words(of: evidence, for: pair.rule),
                                          modelVersion: modelVersion, config: config)
        let targets = pair.rule.webhooks.isEmpty ? config.webhooks.map(\.id) : pair.rule.webhooks
        let messages = try transition.notification.map { try OutboxMessages.make($0, data: data, webhooks: targets, now: now) } ?? []
        return AlertWrite(alert: transition.alert, event: transition.event, details: try JSONText.encode(data), notifications: messages)
    }

    /// The evidence's words from the explainer, for the label the rule's metric reads: asked only for a
    /// transition that sends a message (the others keep the stored words). An explainer that fails
    /// leaves the stored words: the alert is not held back for its evidence.
    private func words(of evidence: [EntityObservation], for rule: AlertRule) async -> [Int64: EvidenceWords] {
        guard let explainer, !evidence.isEmpty else { return [:] }
        return (try? await explainer.words(for: evidence.map(\.itemID), towards: rule.metric.explainedLabel)) ?? [:]
    }

    /// A decayed-risk metric falls as time passes, so a rule that fires when it is low can start firing with no new mention.
    static func decaysTowardBreach(_ rule: AlertRule) -> Bool {
        guard rule.metric == .risk, case .below = rule.threshold else { return false }
        return true
    }

    /// True when the configuration's watchlist is the one the state was read for (the rules are compared apart).
    private func sameScope(_ config: MonitorConfig) -> Bool {
        guard let state else { return false }
        return state.watchlist.elementsEqual(config.watchlist.lazy.map(\.symbol))
    }

    // MARK: - Reading

    private func load(config: MonitorConfig, modelVersion: String, now: Date) async throws -> State {
        var pairs = config.rules.flatMap { rule in
            Self.scope(of: rule, config: config).map {
                Pair(rule: rule, symbol: $0, fingerprint: AlertStateMachine.fingerprint(rule: rule.id, symbol: $0), alert: nil, due: nil)
            }
        }
        var spans: [String: Int64] = [:], windows: [Track: Set<Int64>] = [:]
        for pair in pairs {
            let windowMs = pair.rule.window.millis
            let span = windowMs * Int64(1 + EntityMetrics.baselineWindows(pair.rule.window))
            spans[pair.symbol] = max(spans[pair.symbol] ?? 0, span)
            windows[Track(symbol: pair.symbol, count: pair.rule.count), default: []].insert(windowMs)
        }
        var histories = windows.mapValues { EntityHistory(windows: $0) }
        let longest = spans.values.max() ?? 0
        let snapshot = try await store.mentionSnapshot(modelVersion: modelVersion, publishedAfter: Date(millis: now.millis - longest))
        var grouped: [Track: [EntityHistory.Point]] = [:]
        for mention in snapshot.mentions {
            for count in RuleCount.allCases {
                let track = Track(symbol: mention.symbol, count: count)
                if histories[track] != nil { grouped[track, default: []].append(EntityHistory.Point(mention, count: count)) }
            }
        }
        for (track, points) in grouped { histories[track]?.insert(points, now: now.millis) }
        let alerts = try await store.alerts(fingerprints: pairs.map(\.fingerprint))
        for index in pairs.indices { pairs[index].alert = alerts[pairs[index].fingerprint] }
        return State(modelVersion: modelVersion, rules: config.rules, watchlist: config.watchlist.map(\.symbol), pairs: pairs,
                     histories: histories, spans: spans, sequence: snapshot.lastSequence,
                     unseen: Dictionary(uniqueKeysWithValues: snapshot.unseen.map { ($0, now.millis) }))
    }

    /// Reads the scores written since the last pass into the histories; returns how many mentions it read.
    private func readNewScores(_ state: inout State, now: Int64) async throws -> Int {
        let limit = 4096
        var read = 0
        state.unseen = state.unseen.filter { now - $0.value < unseenFor.millis }
        while true {
            let page = try await store.scoresWritten(after: state.sequence, unseen: state.unseen.keys.sorted(),
                                                     modelVersion: state.modelVersion, limit: limit)
            for sequence in page.sequences {
                if state.unseen.removeValue(forKey: sequence) != nil { continue }
                guard sequence > state.sequence else { continue }
                // Numbers skipped over belong to transactions not committed yet (or rolled back, or conflicts).
                for missing in max(state.sequence + 1, sequence - MentionSnapshot.trackedGap)..<sequence { state.unseen[missing] = now }
                state.sequence = sequence
            }
            var points: [Track: [EntityHistory.Point]] = [:]
            for mention in page.mentions {
                for count in RuleCount.allCases {
                    let track = Track(symbol: mention.symbol, count: count)
                    if state.histories[track] != nil { points[track, default: []].append(EntityHistory.Point(mention, count: count)) }
                }
            }
            for (track, new) in points {
                state.histories[track]?.insert(new, now: now)
                state.changed.insert(track.symbol)
            }
            read += page.mentions.count
            if page.sequences.count < limit { return read }
        }
    }
}

extension EntityHistory.Point {
    /// The point a mention adds when rules count `count`: its item, or its story.
    init(_ mention: ScoredMention, count: RuleCount) {
        switch count {
        case .items:
            self.init(at: mention.publishedAt.millis, itemID: mention.itemID, sentiment: mention.sentiment, risk: mention.risk,
                      negative: mention.isNegative)
        case .stories:
            self.init(mention.story)
        }
    }

    /// A story counted once: at its representative item's time, with its score (the story id in place of an item id).
    init(_ story: StoryPoint) {
        self.init(at: story.publishedAt.millis, itemID: story.id, sentiment: story.sentiment, risk: story.risk, negative: story.isNegative)
    }
}

/// One entity's history as a rule counts it (items, or stories).
struct Track: Hashable {
    var symbol: String
    var count: RuleCount
}
