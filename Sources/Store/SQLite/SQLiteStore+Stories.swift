import Foundation
import GRDB

extension SQLiteStore: StoryStore {
    /// Links a batch's items to their stories (a new story's row first: a link refers to its story) and
    /// brings each story touched up to date from the links this batch added: one instance writes an SQLite
    /// database at a time, so adding to the row is exact, and costs the batch's items, not the story's.
    static func writeStoryLinks(_ batch: [ScoredItem], db: Database) throws {
        struct Added { var count = 0; var first = Int64.max; var last = Int64.min; var sources = Set<String>() }
        var added: [Int64: Added] = [:], order: [Int64] = []
        // Statements compiled once per connection (GRDB's cache).
        let insertStory = try db.cachedStatement(sql: Self.insertStorySQL)
        let insertStoryItem = try db.cachedStatement(sql: Self.insertStoryItemSQL)
        for item in batch {
            guard let link = item.story else { continue }
            let model = item.score.modelVersion
            if link.storyID == item.score.itemID {
                try insertStory.execute(arguments: [model, link.storyID])
            }
            try insertStoryItem.execute(arguments: [item.score.itemID, model, link.storyID, link.embedding.map(Self.blob)])
            guard db.changesCount > 0 else { continue }  // linked before (scored by another process first)
            if added[link.storyID] == nil { order.append(link.storyID) }
            added[link.storyID, default: Added()].count += 1
            added[link.storyID]!.first = min(added[link.storyID]!.first, link.publishedAt.millis)
            added[link.storyID]!.last = max(added[link.storyID]!.last, link.publishedAt.millis)
            added[link.storyID]!.sources.insert(link.feedID)
        }
        guard let model = batch.first?.score.modelVersion else { return }
        let update = try db.cachedStatement(sql: Self.addToStorySQL)
        for id in order {
            let a = added[id]!
            let sources = String(decoding: try JSONEncoder().encode(a.sources.sorted()), as: UTF8.self)
            try update.execute(arguments: [model, id, a.count, a.first, a.last, sources])
        }
    }

    static let insertStorySQL = SQLText.sqlite(SQLText.insertStory)
    static let insertStoryItemSQL = SQLText.sqlite(SQLText.insertStoryItem)
    /// Adds ?3 items published from ?4 to ?5 from the feeds in ?6 (a JSON array) to story ?2 of model ?1.
    static let addToStorySQL = """
        UPDATE stories SET size = size + ?3,
            first_seen_at = CASE WHEN size = 0 THEN ?4 ELSE min(first_seen_at, ?4) END,
            last_seen_at = CASE WHEN size = 0 THEN ?5 ELSE max(last_seen_at, ?5) END,
            sources = (SELECT json_group_array(value) FROM (SELECT value FROM json_each(stories.sources) UNION
                                                            SELECT value FROM json_each(?6) ORDER BY value))
        WHERE model_version = ?1 AND id = ?2
        """

    static func blob(_ vector: [Int8]) -> Data { vector.withUnsafeBytes { Data($0) } }
    static func vector(_ blob: Data?) -> [Int8]? { blob.map { data in data.map { Int8(bitPattern: $0) } } }

    public func storyMembers(modelVersion: String, lastSeenAfter: Date) async throws -> [StoryMember] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.storyMembers(.window, concat: Self.mentionsConcat)),
                             arguments: [modelVersion, lastSeenAfter.millis]).map { Self.member($0).member }
        }
    }

    /// A row of `SQLText.storyMembers`: the member and its score number.
    static func member(_ row: Row) -> (member: StoryMember, sequence: Int64) {
        (StoryMember(itemID: row[1], storyID: row[2], feedID: row[3], publishedAt: Date(millis: row[4]), title: row[5],
                     mentions: StoryMember.decodeMentions(row[6]), embedding: vector(row[7])), row[0])
    }

    public var storiesShared: Bool { false }

    public func lastScoreSequence() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: SQLText.lastScoreSequence) ?? 0 }
    }

    public func storyMembers(modelVersion: String, scoredAfter: Int64, limit: Int) async throws -> (members: [StoryMember], lastSequence: Int64) {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.storyMembers(.scoredAfter, concat: Self.mentionsConcat)),
                                        arguments: [modelVersion, scoredAfter, limit]).map(Self.member)
            return (rows.map(\.member), rows.last?.sequence ?? scoredAfter)
        }
    }

    static let mentionsConcat = "group_concat(m.symbol || char(31) || m.matched, char(30))"

    public func stories(_ query: StoryQuery) async throws -> [StoryRecord] {
        let ids = query.ids.map { $0.map(String.init).joined(separator: ", ") }
        if ids?.isEmpty == true { return [] }
        return try await pool.read { db in
            var arguments: StatementArguments = [query.modelVersion, query.since.millis, query.limit]
            if let symbol = query.symbol { arguments += [symbol] }
            let stories = try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.stories(symbol: query.symbol != nil, ids: ids)),
                                           arguments: arguments).map { row in
                StoryRecord(id: row[0], firstSeen: Date(millis: row[1]), lastSeen: Date(millis: row[2]), size: row[3],
                            sources: StoryRecord.decodeSources(row[4]), title: row[5], link: row[6], source: row[7], items: [])
            }
            guard !stories.isEmpty else { return [] }
            var items: [Int64: [StoryRecord.Item]] = [:]
            for row in try Row.fetchAll(db, sql: SQLText.sqlite(SQLText.storyItems(ids: stories.map { String($0.id) }.joined(separator: ", "))),
                                        arguments: [query.modelVersion]) {
                items[row[0], default: []].append(StoryRecord.Item(itemID: row[1], title: row[2], link: row[3], source: row[4],
                                                                   published: Date(millis: row[5])))
            }
            return stories.map { story in
                var story = story
                story.items = items[story.id] ?? []
                return story
            }
        }
    }
}
