import Config
import Foundation
import Store
import Stories
import Transformer

/// Places scored items in stories as they are written (README, "Stories"): each joins the most
/// similar story of the window or starts one. The window's stories are rebuilt from the store when
/// the scorer starts, so a restart keeps them.
///
/// With several instances (PostgreSQL), `sync` reads the links the others wrote since (by score number)
/// before each batch, so a copy scored by another instance joins the story this one started.
///
/// Not thread-safe: the scorer calls it from its write step, one batch at a time, in batch order.
public final class StoryAssigner: @unchecked Sendable {
    public let modelVersion: String
    private(set) var index: StoryIndex
    private var newest: Int64 = .min
    private var batches = 0
    /// The items in the index (an item read back from the store is added once), with their stories.
    private var known: [Int64: Int64] = [:]
    /// The highest score number whose story link has been read.
    private var synced: Int64 = 0

    public init(settings: StorySettings, modelVersion: String) {
        self.modelVersion = modelVersion
        index = StoryIndex(settings: settings)
    }

    /// Stories in the window now.
    public var count: Int { index.count }

    /// Reads the window's stories back (`now` − window): their items' titles, entities and stored embeddings.
    public func restore(from store: any StoryStore, now: Date) async throws {
        synced = try await store.lastScoreSequence()  // before the members: a link written between the two is read by `sync`, once
        let members = try await store.storyMembers(modelVersion: modelVersion,
                                                   lastSeenAfter: Date(millis: now.millis - index.settings.windowMillis))
        for member in members { add(member) }
    }

    /// Reads the story links other instances wrote since the last read (and this one's own, which it skips).
    public func sync(from store: any StoryStore) async throws {
        while true {
            let (members, last) = try await store.storyMembers(modelVersion: modelVersion, scoredAfter: synced, limit: 1000)
            for member in members { add(member) }
            synced = last
            if members.count < 1000 { return }
        }
    }

    private func add(_ member: StoryMember) {
        guard known[member.itemID] == nil else { return }
        let features = StoryFeatures(title: member.title, mentions: member.mentions, embedding: member.embedding.map(StoryLink.dequantize) ?? [])
        index.add(StoryInput(itemID: member.itemID, feedID: member.feedID, publishedAt: member.publishedAt.millis, features: features),
                  to: member.storyID)
        known[member.itemID] = member.storyID
        newest = max(newest, member.publishedAt.millis)
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
            let published = item.publishedAt.millis
            let features = StoryFeatures(title: item.title, mentions: scored[k].mentions.map { (symbol: $0.symbol, matched: $0.matched) },
                                         embedding: results[k].embedding)
            // An item another instance scored and linked first keeps that link.
            let story = known[item.id]
                ?? index.assign(StoryInput(itemID: item.id, feedID: item.feedID, publishedAt: published, features: features)).storyID
            known[item.id] = story
            scored[k].story = StoryLink(storyID: story, embedding: StoryLink.quantize(features.embedding), publishedAt: item.publishedAt,
                                        feedID: item.feedID)
            newest = max(newest, published)
        }
        batches += 1
        if batches % 32 == 0 {
            index.expire(now: newest)
            known = known.filter { index.stories[$0.value] != nil }
        }
    }
}
