import Config
import Foundation
import Store

/// One evaluation pass: every rule for every entity in scope. It reads the alerts, silences and
/// each entity's scored items, runs `AlertStateMachine`, and writes every change with its event
/// and messages in one transaction.
public struct AlertEvaluator: Sendable {
    /// What one pass changed.
    public struct Change: Sendable, Equatable {
        public var fingerprint: String
        public var rule: String
        public var symbol: String
        public var event: AlertEventKind
        public var notified: Bool
    }

    let store: any AlertStore

    public init(store: any AlertStore) { self.store = store }

    /// The entities a rule watches: its `entities`, else the whole watchlist.
    public static func scope(of rule: AlertRule, config: MonitorConfig) -> [String] {
        rule.entities.isEmpty ? config.watchlist.map(\.symbol) : rule.entities
    }

    @discardableResult
    public func evaluate(config: MonitorConfig, modelVersion: String, now: Date) async throws -> [Change] {
        let silences = Set(try await store.activeSilences(at: now).map(\.matcher))
        let pairs = config.rules.flatMap { rule in
            Self.scope(of: rule, config: config).map { (rule: rule, symbol: $0, fingerprint: AlertStateMachine.fingerprint(rule: rule.id, symbol: $0)) }
        }
        let current = try await store.alerts(fingerprints: pairs.map(\.fingerprint))
        // Each entity's items are read once per pass, over the longest window of the rules that watch it.
        var longest: [String: Duration] = [:]
        for pair in pairs { longest[pair.symbol] = max(longest[pair.symbol] ?? .zero, pair.rule.window) }
        var observations: [String: [EntityObservation]] = [:]
        var changes: [Change] = [], writes: [AlertWrite] = []
        for (rule, symbol, fingerprint) in pairs {
            if observations[symbol] == nil {
                let from = EntityMetrics.observationStart(window: longest[symbol] ?? rule.window, now: now)
                observations[symbol] = try await store.observations(symbol: symbol, from: from, to: now, modelVersion: modelVersion)
            }
            let items = observations[symbol] ?? []
            let metrics = EntityMetrics.compute(symbol: symbol, window: rule.window, observations: items, now: now)
            let machine = AlertStateMachine(rule: rule)
            guard let transition = machine.step(current: current[fingerprint], symbol: symbol, metrics: metrics,
                                                silenced: silences.contains(symbol) || silences.contains(rule.id), now: now)
            else { continue }
            let evidence = AlertPayload.topEvidence(items, window: rule.window, now: now)
            let data = AlertPayload.threshold(transition, rule: rule, metrics: metrics, evidence: evidence, modelVersion: modelVersion,
                                              config: config)
            let targets = rule.webhooks.isEmpty ? config.webhooks.map(\.id) : rule.webhooks
            let messages = try transition.notification.map { try OutboxMessages.make($0, data: data, webhooks: targets, now: now) } ?? []
            writes.append(AlertWrite(alert: transition.alert, event: transition.event, details: try JSONText.encode(data),
                                     notifications: messages))
            changes.append(Change(fingerprint: fingerprint, rule: rule.id, symbol: symbol, event: transition.event,
                                  notified: transition.notification != nil))
        }
        try await store.applyAlertWrites(writes)
        return changes
    }
}
