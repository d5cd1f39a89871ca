import ArgumentParser
import CurlHTTP
import Feeds
import Foundation
import Config
import Monitor

/// `monitorctl feed parse`: what the daemon would read from one document.
struct FeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Work with one feed document.",
        subcommands: [FeedParseCommand.self])
}

struct FeedParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print a feed's normalised items as JSON Lines.",
        discussion: """
            One object per item, in document order: id (what the monitor recognises the item by: the \
            document's id, else the cleaned link, else a content hash), guid (the document's own id or null), \
            title (the document's own title or null), link, published (RFC 3339 UTC or null), \
            summary (plain text), authors. The format (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed, Mastodon, \
            Reddit) is detected from the document. Exits 65 when the document is not a feed.
            """)

    @Argument(help: ArgumentHelp("A file, a file:// URL or an http(s) URL; - reads standard input.", valueName: "file-or-url"))
    var source: String

    @Option(help: ArgumentHelp("The HTTP Content-Type to assume for a file (its charset is used).", valueName: "type"))
    var contentType: String?

    @Option(help: ArgumentHelp("""
        A JSON mapping for JSON documents that are no standard feed, as in a feed's "json" setting, \
        e.g. '{"items": "data.articles", "id": "uuid", "title": "headline", "text": "body", "url": "link", "time": "published"}'.
        """, valueName: "json"))
    var mapping: String?

    @Option(help: ArgumentHelp("The URL the document came from, against which relative links resolve (default: the file's or the fetched URL).", valueName: "url"))
    var url: String?

    func run() async throws {
        var jsonMapping: JSONMapping?
        if let mapping {
            do { jsonMapping = try JSONMapping.parse(mapping) } catch {
                printError("monitorctl: --mapping: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }
        var (body, contentType, url) = try await read()
        if let given = self.url {
            guard let parsed = URL(string: given), parsed.scheme != nil else {
                printError("monitorctl: --url: \"\(given)\" is not an absolute URL")
                throw ExitCode(ExitStatus.usage)
            }
            url = parsed
        }
        let feed: ParsedFeed
        do {
            feed = try FeedParser.parse(body, contentType: contentType ?? self.contentType, url: url, mapping: jsonMapping)
        } catch {
            printError("monitorctl: \(source): \(error)")
            throw ExitCode(ExitStatus.dataError)
        }
        var out = OutputBuffer()
        for item in feed.items {
            let authors = item.authors.map(jsonString).joined(separator: ",")
            out.write("{\"id\":\(jsonString(item.id)),\"guid\":\(item.guid.map(jsonString) ?? "null"),"
                + "\"title\":\(item.title.map(jsonString) ?? "null"),"
                + "\"link\":\(item.link.map(jsonString) ?? "null"),"
                + "\"published\":\(item.published.map { jsonString(FeedDate.rfc3339($0)) } ?? "null"),"
                + "\"summary\":\(jsonString(item.summary)),\"authors\":[\(authors)]}\n")
        }
        out.flush()
    }

    /// The document's bytes, the Content-Type the server gave, and its URL (for relative links).
    func read() async throws -> ([UInt8], String?, URL?) {
        if source == "-" {
            return (Array(FileHandle.standardInput.readDataToEndOfFile()), nil, nil)
        }
        if let url = URL(string: source), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme) {
            let client = CurlMultiClient(maxConcurrent: 1, maxPerHost: 1)
            defer { client.shutdown() }
            do {
                let response = try await client.perform(HTTPRequest(url: url, userAgent: "FinSentMonitor/\(FinSentVersion.string) monitorctl"))
                guard (200..<300).contains(response.status) else {
                    printError("monitorctl: \(source): HTTP \(response.status)")
                    throw ExitCode(ExitStatus.unavailable)
                }
                return (response.body, response.header("content-type"), response.effectiveURL)
            } catch let error as HTTPError {
                printError("monitorctl: \(source): \(error)")
                throw ExitCode(ExitStatus.unavailable)
            }
        }
        let fileURL = source.hasPrefix("file://") ? URL(string: source) ?? URL(fileURLWithPath: source) : URL(fileURLWithPath: source)
        guard let data = FileManager.default.contents(atPath: fileURL.path) else {
            printError("monitorctl: cannot read \(fileURL.path)")
            throw ExitCode(ExitStatus.noInput)
        }
        return (Array(data), nil, fileURL)
    }
}
