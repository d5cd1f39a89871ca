import ArgumentParser
import CKernels
import COpenBLAS
import Foundation
import Config
import Monitor
import Transformer
import WordPiece

/// `monitorctl bench …`: throughput measurements (build with -c release).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput on the lines of standard input.",
        subcommands: [Tokenize.self, Encode.self, Tag.self, Sgemm.self, Int8Peak.self])

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

extension BenchCommand {
    /// `monitorctl bench encode`
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify every line of standard input several times; print JSON with items per second.",
            discussion: """
                Times the whole path from text to probabilities (tokenize, encode, heads) in batches of \
                --batch texts ordered by length. With --batch 1 it also reports per-item latency percentiles.
                """)

        @OptionGroup var model: ModelFolderOption

        @Option(name: .long, help: "Texts per batch.")
        var batch = 32

        @Option(name: .long, help: "Timed runs over all lines (after one warm-up run).")
        var runs = 5

        @Option(name: .long, help: "Threads one batch may use.")
        var threads = 2

        @OptionGroup var precision: PrecisionOption

        func validate() throws {
            guard batch >= 1, runs >= 1, threads >= 1 else { throw ValidationError("--batch, --runs and --threads must be at least 1") }
        }

        func run() throws {
            let classifier = try loadClassifier(folder: model.model, threads: threads, precision: precision.choice(nil))
            let texts = Array(standardInputLines())
            guard !texts.isEmpty else {
                printError("monitorctl: no lines on standard input")
                throw ExitCode.failure
            }
            let lengths = texts.map { classifier.tokenizer.encode($0, maxLength: classifier.maxLength).count }
            var seconds: [Double] = []
            var latencies: [Double] = []
            for run in 0...runs {
                let start = ContinuousClock.now
                if batch == 1 {
                    for text in texts {
                        let itemStart = ContinuousClock.now
                        _ = classifier.classify([text], batchSize: 1)
                        if run > 0 { latencies.append((ContinuousClock.now - itemStart).seconds) }
                    }
                } else {
                    _ = classifier.classify(texts, batchSize: batch)
                }
                if run > 0 { seconds.append((ContinuousClock.now - start).seconds) }
            }
            seconds.sort()
            let median = seconds[seconds.count / 2]
            let flops = lengths.reduce(0.0) { $0 + Self.flops(tokens: $1, config: classifier.encoder.config) }
            var fields: [(String, String)] = [
                ("items", "\(texts.count)"), ("tokens", "\(lengths.reduce(0, +))"), ("batch", "\(batch)"),
                ("threads", "\(threads)"), ("runs", "\(runs)"),
                ("items_per_second", String(format: "%.1f", Double(texts.count) / median)),
                ("gflops_per_second", String(format: "%.1f", flops / median / 1e9)),
            ]
            if batch == 1 {
                latencies.sort()
                let percentile = { (p: Double) in latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] * 1000 }
                fields += [("p50_ms", String(format: "%.3f", percentile(0.5))), ("p99_ms", String(format: "%.3f", percentile(0.99)))]
            }
            fields.append(("peak_rss_mb", String(format: "%.1f", Double(peakResidentKilobytes()) / 1024)))
            fields.append(("model", jsonString(classifier.version)))
            fields.append(("precision", jsonString(classifier.precision.rawValue)))
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        }

        /// Multiply-adds ×2 of one forward pass over `tokens` tokens (dense layers and attention).
        static func flops(tokens: Int, config: BertConfig) -> Double {
            let t = Double(tokens), h = Double(config.hiddenSize), i = Double(config.intermediateSize)
            let perLayer = 2 * t * h * 3 * h + 2 * 2 * t * t * h + 2 * t * h * h + 2 * 2 * t * h * i
            return perLayer * Double(config.layerCount)
        }
    }
}

extension BenchCommand {
    /// `monitorctl bench sgemm`: the machine's single-precision matrix-product rate through
    /// the OpenBLAS this build links, the ceiling for the encoder's dense layers.
    struct Sgemm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure OpenBLAS sgemm GFLOP/s on square matrices.")

        @Option(name: .long, help: "Matrix size.")
        var size = 2048

        @Option(name: .long, help: "OpenBLAS threads.")
        var threads = 2

        func run() {
            COpenBLAS_set_num_threads(Int32(threads))
            let n = size
            let a = [Float](repeating: 0.001, count: n * n), b = [Float](repeating: 0.002, count: n * n)
            var c = [Float](repeating: 0, count: n * n)
            var rates: [Double] = []
            for run in 0..<6 {
                let start = ContinuousClock.now
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
                if run > 0 { rates.append(2 * pow(Double(n), 3) / (ContinuousClock.now - start).seconds / 1e9) }
            }
            rates.sort()
            print("{\"size\": \(n), \"threads\": \(threads), \"gflops_per_second\": \(String(format: "%.1f", rates[rates.count / 2])), "
                + "\"openblas_core\": \(jsonString(String(cString: COpenBLAS_corename())))}")
        }
    }
}

extension BenchCommand {
    /// `monitorctl bench int8`: the machine's int8 multiply-add peak (AVX-512 VNNI), the
    /// ceiling for the encoder's int8 dense layers, as `bench sgemm` is for F32.
    struct Int8Peak: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "int8",
            abstract: "Measure the CPU's int8 peak (vpdpbusd on 512-bit registers) in GOPS.",
            discussion: "Each thread runs independent multiply-adds on registers only; one operation is a multiply or an add.")

        @Option(name: .long, help: "Threads, each on its own core.")
        var threads = 2

        func run() throws {
            guard Precision.cpuHasVNNI else {
                printError("monitorctl: this CPU has no AVX-512 VNNI (int8 runs portable C here; engine.precision auto picks f32)")
                throw ExitCode.failure
            }
            let iterations = 20_000_000
            var rates: [Double] = []
            for run in 0..<6 {
                let start = ContinuousClock.now
                DispatchQueue.concurrentPerform(iterations: threads) { _ in _ = CKernels_int8_peak_loop(iterations) }
                // 24 vpdpbusd × 64 multiply-adds per iteration and thread.
                if run > 0 { rates.append(Double(iterations) * 3072 * Double(threads) / (ContinuousClock.now - start).seconds / 1e9) }
            }
            rates.sort()
            print("{\"threads\": \(threads), \"gops_per_second\": \(String(format: "%.1f", rates[rates.count / 2])), "
                + "\"instruction\": \"vpdpbusd zmm\"}")
        }
    }
}

/// This process's peak resident memory (VmHWM) in KiB. Unlike getrusage's ru_maxrss,
/// it is not inherited from the process that started this one (a Python benchmark).
func peakResidentKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}
