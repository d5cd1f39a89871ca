import Foundation
import Logging
import NIOCore
import PostgresNIO

extension PostgresStore: StoryStore {
    /// Links a batch's items to their stories (a new story's row first: a link refers to its story) and
    /// recomputes each story touched.
    static func writeStoryLinks(_ batch: [ScoredItem], connection: PostgresConnection, logger: Logger) async throws {
        var touched: [Int64] = []
        for item in batch {
            guard let link = item.story else { continue }
            let model = item.score.modelVersion
            if link.storyID == item.score.itemID {
                var binds = PostgresBindings()
                binds.append(model)
                binds.append(link.storyID)
                _ = try await connection.rows(PostgresQuery(unsafeSQL: SQLText.insertStory, binds: binds), logger: logger)
            }
            var binds = PostgresBindings()
            binds.append(item.score.itemID)
            binds.append(model)
            binds.append(link.storyID)
            if let embedding = link.embedding { binds.append(ByteBuffer(bytes: embedding.map { UInt8(bitPattern: $0) })) } else { binds.appendNull() }
            _ = try await connection.rows(PostgresQuery(unsafeSQL: SQLText.insertStoryItem, binds: binds), logger: logger)
            if !touched.contains(link.storyID) { touched.append(link.storyID) }
        }
        guard let model = batch.first?.score.modelVersion else { return }
        for id in touched {
            var binds = PostgresBindings()
            binds.append(model)
            binds.append(id)
            _ = try await connection.rows(PostgresQuery(
                unsafeSQL: SQLText.refreshStory(sourcesJSON: "coalesce(json_agg(d.feed_id ORDER BY d.feed_id), '[]')::text"), binds: binds),
                logger: logger)
        }
    }

    public func storyMembers(modelVersion: String, lastSeenAfter: Date) async throws -> [StoryMember] {
        var binds = PostgresBindings()
        binds.append(modelVersion)
        binds.append(lastSeenAfter.millis)
        return try await rows(PostgresQuery(unsafeSQL: SQLText.storyMembers(.window, concat: Self.mentionsConcat), binds: binds))
            .map { try Self.member($0).member }
    }

    /// A row of `SQLText.storyMembers`: the member and its score number.
    static func member(_ row: PostgresRow) throws -> (member: StoryMember, sequence: Int64) {
        let (sequence, itemID, storyID, feedID, published, title, symbols, embedding) =
            try row.decode((Int64, Int64, Int64, String, Int64, String, String?, ByteBuffer?).self)
        return (StoryMember(itemID: itemID, storyID: storyID, feedID: feedID, publishedAt: Date(millis: published), title: title,
                            mentions: StoryMember.decodeMentions(symbols),
                            embedding: embedding.map { buffer in buffer.readableBytesView.map { Int8(bitPattern: $0) } }), sequence)
    }

    public var storiesShared: Bool { true }

    public func lastScoreSequence() async throws -> Int64 {
        try await rows(PostgresQuery(unsafeSQL: SQLText.lastScoreSequence)).first?.decode(Int64.self) ?? 0
    }

    public func storyMembers(modelVersion: String, scoredAfter: Int64, limit: Int) async throws -> (members: [StoryMember], lastSequence: Int64) {
        var binds = PostgresBindings()
        binds.append(modelVersion)
        binds.append(scoredAfter)
        binds.append(limit)
        let rows = try await rows(PostgresQuery(unsafeSQL: SQLText.storyMembers(.scoredAfter, concat: Self.mentionsConcat), binds: binds))
            .map(Self.member)
        return (rows.map(\.member), rows.last?.sequence ?? scoredAfter)
    }

    static let mentionsConcat = "string_agg(m.symbol || chr(31) || m.matched, chr(30))"

    public func stories(_ query: StoryQuery) async throws -> [StoryRecord] {
        let ids = query.ids.map { $0.map(String.init).joined(separator: ", ") }
        if ids?.isEmpty == true { return [] }
        var binds = PostgresBindings()
        binds.append(query.modelVersion)
        binds.append(query.since.millis)
        binds.append(query.limit)
        if let symbol = query.symbol { binds.append(symbol) }
        let stories = try await rows(PostgresQuery(unsafeSQL: SQLText.stories(symbol: query.symbol != nil, ids: ids), binds: binds)).map { row in
            let (id, first, last, size, sources, title, link, source) =
                try row.decode((Int64, Int64, Int64, Int, String, String, String?, String).self)
            return StoryRecord(id: id, firstSeen: Date(millis: first), lastSeen: Date(millis: last), size: size,
                               sources: StoryRecord.decodeSources(sources), title: title, link: link, source: source, items: [])
        }
        guard !stories.isEmpty else { return [] }
        var itemBinds = PostgresBindings()
        itemBinds.append(query.modelVersion)
        var items: [Int64: [StoryRecord.Item]] = [:]
        for row in try await rows(PostgresQuery(unsafeSQL: SQLText.storyItems(ids: stories.map { String($0.id) }.joined(separator: ", ")),
                                                binds: itemBinds)) {
            let (story, id, title, link, source, published) = try row.decode((Int64, Int64, String, String?, String, Int64).self)
            items[story, default: []].append(StoryRecord.Item(itemID: id, title: title, link: link, source: source,
                                                              published: Date(millis: published)))
        }
        return stories.map { story in
            var story = story
            story.items = items[story.id] ?? []
            return story
        }
    }
}
