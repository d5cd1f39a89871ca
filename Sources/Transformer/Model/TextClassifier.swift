import CKernels
import Foundation
import WordPiece

/// A Hugging Face BERT-family model folder, ready to classify and embed text:
/// `config.json`, `model.safetensors`, and `tokenizer.json` or `vocab.txt`.
///
/// Parallelism: a batch of several texts is split between `threads` encoders that run
/// at once, each single-threaded (no synchronisation inside a layer, and the element-wise
/// kernels run in parallel too); a single text runs on one encoder with each dense layer's
/// output columns split between `threads` threads. Not thread-safe itself: call it from one thread.
public final class TextClassifier {
    public let folder: String
    public let tokenizer: WordPieceTokenizer
    public let encoder: BertEncoder
    /// One encoder per part of a batch (the first is `encoder`); they share the weights. A batch is
    /// cut in twice as many parts as threads, which take them as they finish: a thread held up
    /// (by the daemon's other work on the same cores) no longer leaves the others waiting.
    private let workers: [BertEncoder]
    /// Threads used for one batch.
    public let threads: Int
    /// The heads, in the order of `config.json` (empty for a bare encoder).
    public let heads: [HeadConfig]
    /// Inputs are truncated to this many tokens, [CLS] and [SEP] included.
    public let maxLength: Int
    /// Identifies the weights and how they run: the folder name, a hash of config.json and every
    /// weight byte, and `+int8` when the dense layers run in int8 (F32 has no suffix), so scores
    /// of the two precisions are stored apart.
    public let version: String
    /// The dense layers' precision (resolved for this CPU: `f32` or `int8`).
    public var precision: Precision { encoder.precision }

    /// Loads a model folder. `threads`: how many cores one batch may use (default: all, at most 8).
    /// `precision`: the dense layers' arithmetic; `auto` is int8 where the CPU has AVX-512 VNNI.
    public init(folder: String, maxLength: Int = 128, threads: Int? = nil,
                precision: Precision = .auto) throws(ModelError) {
        let base = URL(fileURLWithPath: folder)
        let configFile = base.appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configFile) else {
            throw ModelError(file: configFile, "missing (expected a Hugging Face model folder)")
        }
        let config = try BertConfig(file: configFile)
        do {
            tokenizer = try WordPieceTokenizer(folder: folder)
        } catch {
            throw ModelError(error)
        }
        guard tokenizer.vocabulary.count <= config.vocabularySize else {
            throw ModelError(file: configFile, "vocab_size \(config.vocabularySize) is smaller than the tokenizer's \(tokenizer.vocabulary.count) tokens")
        }
        let weights: BertWeights
        let checkpoint: Checkpoint
        let digest: String
        do {
            checkpoint = try Checkpoint(folder: folder)
            // Hashed before the weights are packed, so the file's pages and the packed copies are never all resident at once.
            digest = Self.fingerprint(configFile: configFile, checkpoint: checkpoint)
            weights = try BertWeights(file: checkpoint, config: config, precision: precision)
        } catch {
            throw ModelError(error)
        }
        self.threads = max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, 8))
        self.folder = folder
        workers = (0..<(self.threads == 1 ? 1 : 2 * self.threads)).map { _ in BertEncoder(config: config, weights: weights) }
        encoder = workers[0]
        heads = weights.heads.map(\.config)
        self.maxLength = max(2, min(maxLength, config.maxPositions))
        version = Self.version(name: base.standardizedFileURL.lastPathComponent, digest: digest, precision: weights.precision)
    }

    private static func version(name: String, digest: String, precision: Precision) -> String {
        precision.resolved == .int8 ? "\(name)@\(digest)+int8" : "\(name)@\(digest)"
    }

    /// Classifies texts with every head, in batches of up to `batchSize` texts of similar length.
    /// `explain`: also explain, by that method, the label the explained head (`sentiment`, else the
    /// first) gave, or `label` of that head when given (risk explains `negative`). `rounds`: how many
    /// words occlusion chooses by search (each round costs a forward pass per word).
    public func classify(_ texts: [String], batchSize: Int = 32, explain: ExplanationMethod? = nil,
                         label: String? = nil, rounds: Int = TextClassifier.occlusionRounds) -> [Classification] {
        let results = ResultSlots<Classification>(count: texts.count)
        let encodings = ResultSlots<Encoding>(count: explain == .occlusion ? texts.count : 0)
        let explained = explainedHead
        let attention = ResultSlots<[Float]>(count: explain == .occlusion ? texts.count : 0)
        run(texts, batchSize: batchSize, capture: explain == nil ? .none : attentionCapture) { index, encoding, output, row in
            var pooled: [HeadConfig.Pooling: [Float]] = [:]
            let predictions = self.predict(output: output, sequence: row, pooled: &pooled)
            var explanation: Explanation?
            if explain == .attention, let explained {
                let target = self.target(label, of: predictions[explained])
                let words = TextWords(text: texts[index], encoding: encoding)
                explanation = self.explanation(.attention, head: explained, label: target, words: words,
                                               contributions: self.attentionShares(words, attention: output.attention![row]))
            }
            if explain == .occlusion {
                encodings[index] = encoding
                attention[index] = output.attention?[row] ?? [Float](repeating: 0, count: encoding.count)
            }
            let embedding = pooled[.mean] ?? self.pool(output, sequence: row, pooling: .mean)
            results[index] = Classification(heads: predictions, explanation: explanation, embedding: embedding)
        }
        guard explain == .occlusion, let explained else { return (0..<texts.count).map { results[$0]! } }
        // Occlusion after the batches: each text's removals are a batch of their own, split between the workers.
        return texts.indices.map { index in
            let result = results[index]!
            let target = self.target(label, of: result.heads[explained])
            let words = TextWords(text: texts[index], encoding: encodings[index]!)
            let (weights, chosen) = occlusion(words, ids: encodings[index]!.ids, head: explained, label: target,
                                              probability: result.heads[explained].probabilities[target], rounds: rounds,
                                              attention: attention[index]!)
            return Classification(heads: result.heads,
                                  explanation: explanation(.occlusion, head: explained, label: target, words: words, contributions: weights, first: chosen),
                                  embedding: result.embedding)
        }
    }

    /// How many words occlusion chooses by search by default (`explain` shows five).
    public static let occlusionRounds = 5

    /// One vector per text: the mean of its token states (`mean`, as sentence-transformers), [CLS]'s state, or the pooler output.
    public func embed(_ texts: [String], pooling: HeadConfig.Pooling = .mean, batchSize: Int = 32) -> [[Float]] {
        let results = ResultSlots<[Float]>(count: texts.count)
        run(texts, batchSize: batchSize, capture: .none) { index, _, output, row in
            results[index] = self.pool(output, sequence: row, pooling: pooling)
        }
        return (0..<texts.count).map { results[$0]! }
    }

    /// Tokenizes, orders by length, runs batches, and hands each text's row back with its input index.
    /// `body` runs on the worker that encoded the text (heads and explanations in parallel too), once per text.
    private func run(_ texts: [String], batchSize: Int, capture: AttentionCapture,
                     _ body: (_ index: Int, _ encoding: Encoding, _ output: EncoderOutput, _ row: Int) -> Void) {
        var scratch = WordPieceTokenizer.Scratch()
        let encodings = texts.map { text in
            var encoding = Encoding()
            tokenizer.encode(text, maxLength: maxLength, into: &encoding, scratch: &scratch)
            return encoding
        }
        // Similar lengths together keep each batch's attention work even.
        let order = encodings.indices.sorted { encodings[$0].count < encodings[$1].count }
        for start in stride(from: 0, to: order.count, by: max(1, batchSize)) {
            let batch = Array(order[start..<min(start + max(1, batchSize), order.count)])
            forward(batch.map { encodings[$0].ids }, capture: capture) { part, output in
                for (row, index) in part.map({ batch[$0] }).enumerated() { body(index, encodings[index], output, row) }
            }
        }
    }

    /// Runs one batch, split between the workers when it has more than one text; `each` gets each
    /// part's positions in `sequences` with its output, on the part's worker.
    func forward(_ sequences: [[Int32]], capture: AttentionCapture, _ each: (Range<Int>, EncoderOutput) -> Void) {
        let parts = min(workers.count, sequences.count)
        guard parts > 1 else {
            each(sequences.indices, encoder.forward(sequences, attention: capture, threads: threads))
            return
        }
        // Contiguous parts with about equal work (the batch is ordered by length). Dense layers cost
        // per token, attention per pair of tokens: at 28 tokens attention is about a fifth of the
        // time (perf, int8), so a text of L tokens costs about L + L²/100. Splitting by tokens
        // alone left the worker with the long texts behind when lengths are mixed (the daemon's
        // batches arrive in feed order), the other core idle.
        func cost(_ sequence: [Int32]) -> Int { sequence.count * (100 + sequence.count) }
        let total = sequences.reduce(0) { $0 + cost($1) }
        var bounds = [0]
        var running = 0
        for (index, sequence) in sequences.enumerated() where bounds.count < parts {
            running += cost(sequence)
            if running * parts >= total * bounds.count, index + 1 < sequences.count { bounds.append(index + 1) }
        }
        bounds.append(sequences.count)
        let ranges = zip(bounds, bounds.dropFirst()).map { $0..<$1 }
        // Each worker is used by exactly one iteration, so sharing the array is safe; `each` only
        // reads the classifier and writes the slots of its own part's texts.
        nonisolated(unsafe) let workers = self.workers
        nonisolated(unsafe) let each = each
        DispatchQueue.concurrentPerform(iterations: ranges.count) { part in
            each(ranges[part], workers[part].forward(Array(sequences[ranges[part]]), attention: capture))
        }
    }

    func pool(_ output: EncoderOutput, sequence: Int, pooling: HeadConfig.Pooling) -> [Float] {
        let width = encoder.config.hiddenSize
        let start = output.rowOffsets[sequence] * width
        let cls = Array(output.lastHiddenState[start..<(start + width)])
        switch pooling {
        case .cls:
            return cls
        case .mean:
            let length = output.lengths[sequence]
            var mean = [Float](repeating: 0, count: width)
            for token in 0..<length {
                for index in 0..<width { mean[index] += output.lastHiddenState[start + token * width + index] }
            }
            return mean.map { $0 / Float(length) }
        case .pooler:
            guard let pooler = encoder.weights.pooler else { return cls }
            var pooled = [Float](repeating: 0, count: width)
            pooler.apply(&pooled, cls, rows: 1)
            CKernels_tanh(&pooled, width)
            return pooled
        }
    }

    /// Every head's prediction; `pooled` keeps the pooled vectors the heads read.
    func predict(output: EncoderOutput, sequence: Int, pooled: inout [HeadConfig.Pooling: [Float]]) -> [HeadPrediction] {
        encoder.weights.heads.map { head in
            let vector = pooled[head.config.pooling] ?? pool(output, sequence: sequence, pooling: head.config.pooling)
            pooled[head.config.pooling] = vector
            var logits = [Float](repeating: 0, count: head.config.labels.count)
            head.linear.apply(&logits, vector, rows: 1)
            let scaled = logits.map { $0 / head.config.temperature }
            let maximum = scaled.max() ?? 0
            let exps = scaled.map { Foundation.exp($0 - maximum) }
            let total = exps.reduce(0, +)
            return HeadPrediction(name: head.config.name, labels: head.config.labels, logits: logits,
                                  probabilities: exps.map { $0 / total })
        }
    }

    /// The `version` a classifier loaded from `folder` with `precision` would have on this CPU,
    /// without loading it (hashes the files).
    public static func version(of folder: String, precision: Precision = .auto) throws(ModelError) -> String {
        let base = URL(fileURLWithPath: folder)
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(folder: folder) } catch { throw ModelError(error) }
        let digest = fingerprint(configFile: base.appendingPathComponent("config.json").path, checkpoint: checkpoint)
        return version(name: base.standardizedFileURL.lastPathComponent, digest: digest, precision: precision)
    }

    /// config.json and every weight byte, hashed: a retrained model gets a new version.
    private static func fingerprint(configFile: String, checkpoint: Checkpoint) -> String {
        var hash = checkpoint.contentHash()
        for byte in (try? Data(contentsOf: URL(fileURLWithPath: configFile))) ?? Data() {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Slots written by concurrent workers, one slot each, read after they all finish.
/// Raw storage rather than an array property: concurrent writes to one array, even
/// to different elements, are overlapping accesses that Swift's exclusivity checks trap.
final class ResultSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { slots[index] }
        set { slots[index] = newValue }
    }
}
