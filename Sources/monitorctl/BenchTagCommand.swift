import ArgumentParser
import Foundation
import Monitor

extension BenchCommand {
    /// `monitorctl bench tag`
    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tag entities in every line of standard input several times; print JSON with the median rate.",
            discussion: "Uses the watchlist of the configuration (names, aliases, cashtags and exchange tags, as monitord tags items).")

        @OptionGroup var config: ConfigOptions

        @Option(name: .long, help: "Timed runs over all lines (after one warm-up run).")
        var runs = 5

        func validate() throws {
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        }

        func run() throws {
            let watchlist = try config.load().watchlist
            let texts = Array(standardInputLines())
            guard !texts.isEmpty else {
                printError("monitorctl: no lines on standard input")
                throw ExitCode.failure
            }
            let built = ContinuousClock.now
            let tagger = EntityTagger(watchlist: watchlist)
            let buildSeconds = (ContinuousClock.now - built).seconds
            var seconds: [Double] = []
            var mentions = 0
            for run in 0...runs {
                let start = ContinuousClock.now
                var found = 0
                for text in texts { found += tagger.mentions(in: text).count }
                if run > 0 { seconds.append((ContinuousClock.now - start).seconds) }
                mentions = found
            }
            seconds.sort()
            let median = seconds[seconds.count / 2]
            let names = watchlist.reduce(0) { $0 + $1.names.count + $1.aliases.count }
            print("""
                {"texts": \(texts.count), "entities": \(watchlist.count), "names": \(names), "mentions": \(mentions), \
                "build_seconds": \(String(format: "%.4f", buildSeconds)), "median_seconds": \(String(format: "%.6f", median)), \
                "microseconds_per_text": \(String(format: "%.2f", median / Double(texts.count) * 1e6)), \
                "texts_per_second": \(String(format: "%.1f", Double(texts.count) / median))}
                """)
        }
    }
}
