/// Why a document could not be read as a feed. The message names the problem; the
/// caller adds the feed id or file name.
public enum FeedError: Error, Equatable, CustomStringConvertible {
    /// Not XML or JSON at all (an HTML page, an error message, an empty body).
    case notXML(String)
    /// XML that breaks off or is broken beyond repair.
    case malformed(String)
    /// Well-formed, but not a format this reader knows.
    case notAFeed(String)
    /// JSON that does not parse or lacks what the format needs.
    case badJSON(String)

    public var description: String {
        switch self {
        case let .notXML(why): "not a feed document: \(why)"
        case let .malformed(why): "malformed XML: \(why)"
        case let .notAFeed(why): "not a feed: \(why)"
        case let .badJSON(why): "bad JSON feed: \(why)"
        }
    }
}
