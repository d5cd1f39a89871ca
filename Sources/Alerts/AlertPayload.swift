import Config
import Foundation
import Store

/// The `data` object of webhook messages and alert events (README, "Webhooks"), schema version 1.
public enum AlertPayload {
    /// A threshold alert's data: rule, entity, value, thresholds, metrics and evidence.
    /// `stories`: the evidence's stories, by id (empty when the rule counts items). `words`: the evidence's
    /// words by item id, where an `EvidenceExplainer` found them (else the words stored with the score).
    public static func threshold(_ transition: AlertStateMachine.Transition, rule: AlertRule, metrics: EntityMetrics,
                                 evidence: [EntityObservation], stories: [Int64: StoryRecord], words: [Int64: EvidenceWords] = [:],
                                 modelVersion: String, config: MonitorConfig) -> [String: Any] {
        let alert = transition.alert
        var thresholds: [String: Any] = ["minItems": rule.minItems]
        switch rule.threshold {
        case let .above(limit, resolve):
            thresholds["above"] = limit
            if let resolve { thresholds["resolveBelow"] = resolve }
        case let .below(limit, resolve):
            thresholds["below"] = limit
            if let resolve { thresholds["resolveAbove"] = resolve }
        }
        let name = config.watchlist.first { $0.symbol == alert.entity }?.names.first
        return [
            "schemaVersion": 1, "kind": AlertKind.threshold.rawValue, "fingerprint": alert.fingerprint,
            "status": alert.state.rawValue, "severity": rule.severity.rawValue,
            "rule": ["id": rule.id, "metric": rule.metric.rawValue, "count": rule.count.rawValue, "window": DurationText.format(rule.window),
                     "for": DurationText.format(rule.forDuration), "cooldown": DurationText.format(rule.cooldown)],
            "entity": ["symbol": alert.entity, "name": name.map { $0 as Any } ?? NSNull()] as [String: Any],
            "value": metrics.rounded(metrics.value(of: rule.metric)), "thresholds": thresholds, "metrics": metrics.dictionary,
            "startsAt": JSONText.timestamp(alert.startedAt),
            "endsAt": alert.state == .resolved ? alert.resolvedAt.map { JSONText.timestamp($0) as Any } ?? NSNull() : NSNull(),
            "modelVersion": modelVersion,
            "evidence": evidence.map {
                rule.count == .stories ? Self.evidence(story: $0, stories[$0.story.id], words: words[$0.itemID])
                    : Self.evidence($0, words: words[$0.itemID])
            },
        ]
    }

    /// A source-health alert's data: the feed and its last error.
    public static func source(_ transition: AlertStateMachine.Transition, details: [String: Any]) -> [String: Any] {
        let alert = transition.alert
        return [
            "schemaVersion": 1, "kind": AlertKind.source.rawValue, "fingerprint": alert.fingerprint, "status": alert.state.rawValue,
            "severity": (alert.severity ?? .warning).rawValue, "rule": ["id": alert.ruleID], "source": details,
            "startsAt": JSONText.timestamp(alert.startedAt),
            "endsAt": alert.state == .resolved ? JSONText.timestamp(alert.resolvedAt ?? alert.updatedAt) as Any : NSNull(),
        ]
    }

    /// One evidence item: what drove the numbers. `words` (`wordsFor` the label they push towards) are the
    /// explainer's when given, else the ones stored with the score (for the label the item was given).
    static func evidence(_ item: EntityObservation, words: EvidenceWords? = nil) -> [String: Any] {
        let r = JSONText.rounded
        return [
            "itemId": item.itemID, "title": item.title, "link": item.link ?? NSNull(), "source": item.feedID,
            "published": JSONText.timestamp(item.publishedAt), "sentiment": r(item.sentiment), "risk": r(item.risk),
            "label": item.label, "topic": item.topic ?? NSNull(), "words": words?.words ?? item.words,
            "wordsFor": words?.label ?? item.label,
        ]
    }

    /// One story as evidence: its representative item (title, link, source, its score) and how far it spread.
    /// `observation` is the story's item that mentions the entity (its topic and words); `story` its row.
    static func evidence(story observation: EntityObservation, _ story: StoryRecord?, words: EvidenceWords? = nil) -> [String: Any] {
        var entry = evidence(observation, words: words)
        let point = observation.story
        let r = JSONText.rounded
        entry["storyId"] = point.id
        entry["sentiment"] = r(point.sentiment)
        entry["risk"] = r(point.risk)
        entry["label"] = point.label
        entry["published"] = JSONText.timestamp(point.publishedAt)
        if let story {
            entry["itemId"] = story.id
            entry["title"] = story.title
            entry["link"] = story.link ?? NSNull()
            entry["source"] = story.source
            entry["size"] = story.size
            entry["sources"] = story.sources
            entry["firstSeen"] = JSONText.timestamp(story.firstSeen)
            entry["lastSeen"] = JSONText.timestamp(story.lastSeen)
        } else {
            entry["size"] = 1
            entry["sources"] = [observation.feedID]
            entry["firstSeen"] = JSONText.timestamp(observation.publishedAt)
            entry["lastSeen"] = JSONText.timestamp(observation.publishedAt)
        }
        return entry
    }

    /// The riskiest items of the window ending at `now` (riskiest first, then newest); when rules count
    /// stories, one item per story counted in the window (the first that mentions the entity), ranked by the story's score.
    public static func topEvidence(_ observations: [EntityObservation], window: Duration, now: Date, count: RuleCount,
                                   limit: Int = 5) -> [EntityObservation] {
        let start = now.addingTimeInterval(-window.seconds)
        switch count {
        case .items:
            return Array(observations.filter { $0.publishedAt > start && $0.publishedAt <= now }
                .sorted { ($0.risk, $0.publishedAt) > ($1.risk, $1.publishedAt) }.prefix(limit))
        case .stories:
            var seen = Set<Int64>()
            return Array(observations.filter { $0.story.publishedAt > start && $0.story.publishedAt <= now && seen.insert($0.story.id).inserted }
                .sorted { ($0.story.risk, $0.story.publishedAt, $0.story.id) > ($1.story.risk, $1.story.publishedAt, $1.story.id) }
                .prefix(limit))
        }
    }
}

/// Webhook messages for an alert change: one per target webhook, each the exact JSON body that is signed.
public enum OutboxMessages {
    public static func make(_ type: WebhookEventType, data: [String: Any], webhooks: [String], now: Date) throws -> [NewDelivery] {
        try webhooks.map { webhook in
            let body: [String: Any] = ["data": data, "type": type.rawValue, "timestamp": JSONText.timestamp(now)]
            return NewDelivery(messageID: "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                               webhookID: webhook, eventType: type, payload: try JSONText.encode(body), createdAt: now)
        }
    }
}
