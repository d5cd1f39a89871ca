import ArgumentParser
import Foundation
import Monitor
import WordPiece

/// `monitorctl bench …`: throughput measurements (build with -c release).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput on the lines of standard input.",
        subcommands: [Tokenize.self])

    /// `monitorctl bench tokenize`
    struct Tokenize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tokenize every line of standard input several times; print JSON with the median rate.",
            discussion: "Only tokenization is timed: input is read first, and nothing is printed until the end.")

        @OptionGroup var model: ModelFolderOption

        @Option(name: .long, help: "Timed runs over all lines (after one warm-up run).")
        var runs = 7

        @Option(name: .long, help: "Truncate to this many tokens, as the engine does.")
        var maxLength: Int?

        func validate() throws {
            guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        }

        func run() throws {
            let tokenizer = try model.loadTokenizer()
            let texts = Array(standardInputLines())
            guard !texts.isEmpty else {
                printError("monitorctl: no lines on standard input")
                throw ExitCode.failure
            }
            let bytes = texts.reduce(0) { $0 + $1.utf8.count }
            var encoding = Encoding()
            var scratch = WordPieceTokenizer.Scratch()
            var seconds: [Double] = []
            var tokens = 0
            for run in 0...runs {
                var count = 0
                let start = ContinuousClock.now
                for text in texts {
                    tokenizer.encode(text, maxLength: maxLength, into: &encoding, scratch: &scratch)
                    count += encoding.count
                }
                let elapsed = (ContinuousClock.now - start).seconds
                if run > 0 { seconds.append(elapsed) }  // run 0 warms caches and the scalar table
                tokens = count
            }
            seconds.sort()
            let median = seconds[seconds.count / 2]
            let result: [(String, String)] = [
                ("texts", "\(texts.count)"),
                ("bytes", "\(bytes)"),
                ("tokens", "\(tokens)"),
                ("runs", "\(runs)"),
                ("median_seconds", String(format: "%.6f", median)),
                ("texts_per_second", String(format: "%.1f", Double(texts.count) / median)),
                ("tokens_per_second", String(format: "%.1f", Double(tokens) / median)),
                ("mb_per_second", String(format: "%.3f", Double(bytes) / median / 1e6)),
            ]
            print("{" + result.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }
    }
}
