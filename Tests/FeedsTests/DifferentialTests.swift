import Foundation
import Testing
@testable import Feeds

/// The differential test against feedparser (tools/feeds/differential.py), without Python: every
/// document of the committed corpus is parsed here and compared with feedparser's output recorded
/// in Differential/expected.jsonl, under the rules written down in that script.
@Suite("Feed fidelity: agreement with feedparser on the committed corpus")
struct DifferentialTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let folder = tests.appendingPathComponent("Differential")
    static let documentURL = URL(string: "http://feeds.example.org/corpus/feed.xml")!
    static let fields = ["title", "link", "published", "summary", "id"]

    struct Comparison {
        var documents = 0
        var withItems = 0
        var errors: [String] = []
        /// "document field" for every disagreement.
        var differences: Set<String> = []
    }

    static func compare() throws -> Comparison {
        var result = Comparison()
        let lines = try String(contentsOf: folder.appendingPathComponent("expected.jsonl"), encoding: .utf8).split(separator: "\n")
        for line in lines {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let doc = record["doc"] as! String
            let theirs = (record["items"] as! [[String: Any]]).map { item in
                Dictionary(uniqueKeysWithValues: fields.map { ($0, item[$0] as? String ?? "") })
            }
            result.documents += 1
            if !theirs.isEmpty { result.withItems += 1 }
            let body = Array(try Data(contentsOf: tests.appendingPathComponent(doc)))
            let ours: [[String: String]]
            do {
                ours = try FeedParser.parse(body, contentType: record["contentType"] as? String, url: documentURL).items.map(normalised)
            } catch {
                result.errors.append("\(doc): \(error)")
                if !theirs.isEmpty { fields.forEach { result.differences.insert("\(doc) \($0)") } }
                continue
            }
            for field in fields where ours.count != theirs.count || zip(ours, theirs).contains(where: { $0[field] != $1[field] }) {
                result.differences.insert("\(doc) \(field)")
            }
        }
        return result
    }

    static func normalised(_ item: FeedItem) -> [String: String] {
        ["title": text(item.title), "link": link(item.link), "published": item.published.map(FeedDate.rfc3339) ?? "",
         "summary": text(item.summary), "id": item.guid?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""]
    }

    /// NFC, all white space removed.
    static func text(_ value: String?) -> String {
        String((value ?? "").precomposedStringWithCanonicalMapping.unicodeScalars.filter { !$0.properties.isWhitespace }
            .map(Character.init))
    }

    /// Scheme and host lower-cased, default port dropped, an empty path "/".
    static func link(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        guard var parts = URLComponents(string: value.trimmingCharacters(in: .whitespaces)) else { return value }
        parts.scheme = parts.scheme?.lowercased()
        parts.host = parts.host?.lowercased()
        if (parts.scheme == "http" && parts.port == 80) || (parts.scheme == "https" && parts.port == 443) { parts.port = nil }
        if parts.host != nil, parts.path.isEmpty { parts.path = "/" }
        return parts.string ?? value
    }

    @Test("≥ 99% of documents parse, ≥ 98% agree on each field (also among documents with items), and every difference is a known one")
    func agreement() throws {
        let result = try Self.compare()
        #expect(result.documents >= 1_500)
        let known = Set(try String(contentsOf: Self.folder.appendingPathComponent("differences.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ", maxSplits: 2).prefix(2).joined(separator: " ") })
        let noError = Double(result.documents - result.errors.count) / Double(result.documents)
        #expect(noError >= 0.99, "\(result.errors)")
        for field in Self.fields {
            let differing = result.differences.filter { $0.hasSuffix(" \(field)") }.count
            #expect(Double(result.documents - differing) / Double(result.documents) >= 0.98, "\(field)")
            #expect(Double(result.withItems - differing) / Double(result.withItems) >= 0.98, "\(field) among documents with items")
        }
        let new = result.differences.subtracting(known).sorted()
        #expect(new.isEmpty, "differences from feedparser not in Differential/differences.txt (explain them there, or fix them): \(new)")
        let gone = known.subtracting(result.differences).sorted()
        #expect(gone.isEmpty, "known differences that agree now; take them out of Differential/differences.txt: \(gone)")
    }
}
