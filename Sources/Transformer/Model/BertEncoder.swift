import CKernels

/// The output of one forward pass over a batch of token sequences.
public struct EncoderOutput: Sendable {
    /// Where each sequence starts in the packed rows, and its length.
    public let rowOffsets: [Int]
    public let lengths: [Int]
    /// The last layer's hidden states, packed: (total tokens, hidden).
    public let lastHiddenState: [Float]
    /// The embedding output and every layer's output, when asked for (parity tests).
    public let layerStates: [[Float]]?
    /// Per sequence, the attention each token receives in the last layer, averaged over heads and over
    /// the query positions asked for (`AttentionCapture`), when asked for.
    public let attention: [[Float]]?
}

/// Which query positions' last-layer attention `forward` sums up per token.
public enum AttentionCapture: Sendable {
    /// None (the default).
    case none
    /// Row 0: what [CLS] attends to (a head that reads [CLS] or the pooler).
    case cls
    /// Every row, averaged: what each token receives from all positions (a mean-pooled head reads them all).
    case received
}

/// A BERT encoder on the packed kernels of `CKernels`.
///
/// Sequences are packed one after another with no padding: the dense layers run
/// once over all real tokens of the batch (one product per projection, Q, K and V
/// fused), and attention runs per sequence and head on strided views of the
/// fused QKV matrix, so padding costs nothing and no mask is needed. Buffers are
/// reused across calls. Not thread-safe: one encoder per inference thread.
public final class BertEncoder {
    public let config: BertConfig
    let weights: BertWeights

    private let hidden = FloatBuffer(), qkv = FloatBuffer(), context = FloatBuffer()
    private let projected = FloatBuffer(), intermediate = FloatBuffer(), attentionBuffer = FloatBuffer()
    private let quantized = QuantizedRows()
    /// Helper threads for `forward(threads:)` above 1, made on first use.
    private var workerPool: WorkerPool?

    /// The dense layers' precision (`f32` or `int8`).
    public var precision: Precision { weights.precision }

    init(config: BertConfig, weights: BertWeights) {
        self.config = config
        self.weights = weights
    }

    /// Runs the encoder. Each sequence must be non-empty, at most `config.maxPositions` long, with ids below the vocabulary size.
    /// `threads` splits each dense layer's output columns between threads (for a batch too small to split by text).
    public func forward(_ sequences: [[Int32]], captureLayers: Bool = false, attention capture: AttentionCapture = .none,
                        threads: Int = 1) -> EncoderOutput {
        let width = config.hiddenSize
        let lengths = sequences.map(\.count)
        var rowOffsets: [Int] = []
        var total = 0
        for length in lengths {
            rowOffsets.append(total)
            total += length
        }
        let x = hidden.reserve(total * width)              // (T, H)
        let qkvRows = qkv.reserve(total * 3 * width)        // (T, 3H)
        let contextRows = context.reserve(total * width)   // (T, H)
        let projectedRows = projected.reserve(total * width) // (T, H)
        let inter = intermediate.reserve(total * config.intermediateSize) // (T, I)
        let longest = lengths.max() ?? 0
        if threads > 1, workerPool?.threads != threads { workerPool = WorkerPool(threads: threads) }
        let pool = threads > 1 ? workerPool : nil

        embed(sequences, into: x)
        var layerStates: [[Float]]? = captureLayers ? [Array(UnsafeBufferPointer(start: x, count: total * width))] : nil
        // Packed like the rows: for each token, the attention it receives in its sequence.
        var attentionPacked = [Float](repeating: 0, count: capture == .none ? 0 : total)

        let attentionScratch = attentionBuffer.reserve((longest + config.headSize) * ((longest + 15) / 16 * 16))
        for (layerIndex, layer) in weights.layers.enumerated() {
            layer.qkv.apply(qkvRows, x, rows: total, pool: pool, scratch: quantized)
            let captureHere = capture != .none && layerIndex == weights.layers.count - 1
            attentionPacked.withUnsafeMutableBufferPointer { received in
                for (sequence, length) in lengths.enumerated() {
                    let offset = rowOffsets[sequence]
                    CKernels_attention(qkvRows + offset * 3 * width, contextRows + offset * width, length, width,
                                       config.headCount, 1 / Float(config.headSize).squareRoot(), attentionScratch,
                                       captureHere ? received.baseAddress! + offset : nil, capture == .cls ? 1 : length)
                }
            }
            // x = LayerNorm(x + context·Woᵀ + bo)
            layer.attentionOutput.apply(projectedRows, contextRows, rows: total, pool: pool, scratch: quantized)
            CKernels_add_layer_norm(x, projectedRows, total, width,
                                    layer.attentionNormGamma.pointer, layer.attentionNormBeta.pointer, config.layerNormEpsilon)
            // x = LayerNorm(x + act(x·Wiᵀ + bi)·Woᵀ + bo)
            layer.intermediate.apply(inter, x, rows: total, pool: pool, scratch: quantized, activation: config.activation)
            layer.output.apply(projectedRows, inter, rows: total, pool: pool, scratch: quantized)
            CKernels_add_layer_norm(x, projectedRows, total, width,
                                    layer.outputNormGamma.pointer, layer.outputNormBeta.pointer, config.layerNormEpsilon)
            if captureLayers { layerStates?.append(Array(UnsafeBufferPointer(start: x, count: total * width))) }
        }
        return EncoderOutput(rowOffsets: rowOffsets, lengths: lengths,
                             lastHiddenState: Array(UnsafeBufferPointer(start: x, count: total * width)),
                             layerStates: layerStates,
                             attention: capture == .none
                                ? nil : zip(rowOffsets, lengths).map { Array(attentionPacked[$0..<($0 + $1)]) })
    }

    /// word + position + token type (0) embeddings, then LayerNorm.
    private func embed(_ sequences: [[Int32]], into x: UnsafeMutablePointer<Float>) {
        let width = config.hiddenSize
        var row = 0
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let out = x + row * width
                let word = weights.wordEmbeddings.pointer + Int(id) * width
                let positional = weights.positionEmbeddings.pointer + position * width
                let type = weights.tokenTypeEmbeddings.pointer
                for index in 0..<width { out[index] = word[index] + positional[index] + type[index] }
                row += 1
            }
        }
        CKernels_add_layer_norm(x, nil, row, width, weights.embeddingNormGamma.pointer,
                                weights.embeddingNormBeta.pointer, config.layerNormEpsilon)
    }
}
