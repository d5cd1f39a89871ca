import Config
import Foundation
import Store
import Stories
import Transformer

/// Places scored items in stories as they are written (README, "Stories"): each joins the most
/// similar story of the window or starts one. The window's stories are rebuilt from the store when
/// the scorer starts, so a restart keeps them.
///
/// Not thread-safe: the scorer calls it from its write step, one batch at a time, in batch order.
public final class StoryAssigner: @unchecked Sendable {
    public let modelVersion: String
    private(set) var index: StoryIndex
    private var newest: Int64 = .min
    private var batches = 0

    public init(settings: StorySettings, modelVersion: String) {
        self.modelVersion = modelVersion
        index = StoryIndex(settings: settings)
    }

    /// Stories in the window now.
    public var count: Int { index.count }

    /// Reads the window's stories back (`now` − window): their items' titles, entities and stored embeddings.
    public func restore(from store: any StoryStore, now: Date) async throws {
        let members = try await store.storyMembers(modelVersion: modelVersion,
                                                   lastSeenAfter: Date(millis: now.millis - index.settings.windowMillis))
        for member in members {
            let features = StoryFeatures(title: member.title, mentions: member.mentions,
                                         embedding: member.embedding.map(StoryLink.dequantize) ?? [])
            index.add(StoryInput(itemID: member.itemID, feedID: member.feedID, publishedAt: member.publishedAt.millis, features: features),
                      to: member.storyID)
            newest = max(newest, member.publishedAt.millis)
        }
    }

    /// New settings from a configuration reload; the stories already grouped stay as they are.
    public func update(_ settings: StorySettings) {
        guard settings != index.settings else { return }
        index.settings = settings
    }

    /// Adds each item's story link (in order: an item may join a story the batch started); none while `stories.enabled` is false.
    public func assign(_ scored: inout [ScoredItem], items: [UnscoredItem], results: [Classification]) {
        guard index.settings.enabled else { return }
        for k in scored.indices {
            let item = items[k]
            let features = StoryFeatures(title: item.title, mentions: scored[k].mentions.map { (symbol: $0.symbol, matched: $0.matched) },
                                         embedding: results[k].embedding)
            let published = item.publishedAt.millis
            let (story, _) = index.assign(StoryInput(itemID: item.id, feedID: item.feedID, publishedAt: published, features: features))
            scored[k].story = StoryLink(storyID: story, embedding: StoryLink.quantize(features.embedding), publishedAt: item.publishedAt,
                                        feedID: item.feedID)
            newest = max(newest, published)
        }
        batches += 1
        if batches % 32 == 0 { index.expire(now: newest) }
    }
}
