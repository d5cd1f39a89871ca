import ArgumentParser
import Config
import Feeds
import Foundation
import Monitor

/// `monitorctl feeds import FILE.opml`: a reader's subscriptions as the feeds file monitord reads.
struct FeedsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an OPML subscription list into the feeds file monitord reads (feedsFile).",
        discussion: """
            Every <outline> with an http(s) xmlUrl becomes a feed; its id comes from the outline's title (or \
            text, or the URL's host), made unique. Problems are listed and nothing is written (exit 65). The \
            output replaces FILE atomically; monitord reads it at start and on SIGHUP.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The OPML file.") var file: String
    @Option(help: "Where to write (default: feeds.json beside the configuration).") var output: String?
    @Option(help: "The polling interval of every imported feed.") var interval = "15m"

    func run() throws {
        guard DurationText.parse(interval).map({ $0 >= .seconds(1) }) == true else {
            printError("monitorctl: --interval: expected a duration of at least 1s, like 15m")
            throw ExitCode(ExitStatus.usage)
        }
        let text = try ConfigFragment.input(file)
        let feeds: [(id: String, url: String)]
        do {
            feeds = try Self.feeds(text)
        } catch {
            printError("monitorctl: \(file): \(error)")
            throw ExitCode(ExitStatus.dataError)
        }
        guard !feeds.isEmpty else {
            printError("monitorctl: \(file): no <outline> with an http(s) xmlUrl")
            throw ExitCode(ExitStatus.dataError)
        }
        try ConfigFragment.save(feeds.map { ["id": $0.id, "url": $0.url, "interval": interval] }, key: "feeds", fileKey: "feedsFile",
                                what: "feeds", defaultName: "feeds.json", output: output, config: options.config)
    }

    struct Problem: Error, CustomStringConvertible { let description: String }

    /// The feeds of an OPML document, parsed with the feed parser's safe XML reader (no entities, bounded).
    static func feeds(_ text: String) throws -> [(id: String, url: String)] {
        let root = try XMLTreeParser.parse(text)
        guard root.name == "opml" else { throw Problem(description: "not OPML (the root element is <\(root.name)>, expected <opml>)") }
        var out: [(id: String, url: String)] = [], ids = Set<String>(), urls = Set<String>(), skipped: [String] = []
        func visit(_ element: XMLElement) {
            for child in element.elements where child.name == "outline" {
                if let raw = child.attribute("xmlUrl")?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
                    guard let url = URL(string: raw), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                        skipped.append(raw)
                        continue
                    }
                    guard urls.insert(url.absoluteString).inserted else { continue }
                    let label = child.attribute("title") ?? child.attribute("text") ?? url.host ?? "feed"
                    var id = slug(label), n = 2
                    if id.isEmpty { id = slug(url.host ?? "feed") }
                    let base = id
                    while ids.contains(id) { id = "\(base.prefix(60))-\(n)"; n += 1 }
                    ids.insert(id)
                    out.append((id, url.absoluteString))
                }
                visit(child)
            }
        }
        visit(root.first("body") ?? root)
        if !skipped.isEmpty {
            throw Problem(description: "xmlUrl must be an http(s) URL: \(skipped.prefix(5).joined(separator: ", "))\(skipped.count > 5 ? ", …" : "")")
        }
        return out
    }

    /// "Reuters: Business News" → "reuters-business-news" (a config id: ASCII letters, digits, '-', at most 64).
    static func slug(_ text: String) -> String {
        var out = "", dash = false
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                out.unicodeScalars.append(scalar); dash = false
            } else if !out.isEmpty, !dash {
                out += "-"; dash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return String(out.prefix(64))
    }
}
