import COpenBLAS

/// The output of one forward pass over a batch of token sequences.
public struct EncoderOutput: Sendable {
    /// Where each sequence starts in the packed rows, and its length.
    public let rowOffsets: [Int]
    public let lengths: [Int]
    /// The last layer's hidden states, packed: (total tokens, hidden).
    public let lastHiddenState: [Float]
    /// The embedding output and every layer's output, when asked for (parity tests).
    public let layerStates: [[Float]]?
    /// Per sequence, the last layer's attention from [CLS] to every token, averaged over heads, when asked for.
    public let clsAttention: [[Float]]?
}

/// A BERT encoder over OpenBLAS.
///
/// Sequences are packed one after another with no padding: the dense layers run
/// once over all real tokens of the batch (one sgemm per projection, Q, K and V
/// fused), and attention runs per sequence and head on strided views of the
/// fused QKV matrix, so padding costs nothing and no mask is needed. Buffers are
/// reused across calls. Not thread-safe: one encoder per inference thread.
public final class BertEncoder {
    public let config: BertConfig
    let weights: BertWeights

    private let hidden = FloatBuffer(), qkv = FloatBuffer(), context = FloatBuffer()
    private let projected = FloatBuffer(), intermediate = FloatBuffer(), scores = FloatBuffer()

    init(config: BertConfig, weights: BertWeights) {
        self.config = config
        self.weights = weights
    }

    /// Runs the encoder. Each sequence must be non-empty, at most `config.maxPositions` long, with ids below the vocabulary size.
    public func forward(_ sequences: [[Int32]], captureLayers: Bool = false, captureCLSAttention: Bool = false) -> EncoderOutput {
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
        let score = scores.reserve(longest * longest)      // (L, L)

        embed(sequences, into: x)
        var layerStates: [[Float]]? = captureLayers ? [Array(UnsafeBufferPointer(start: x, count: total * width))] : nil
        // Packed like the rows: for each token, the attention [CLS] of its sequence pays it.
        var clsPacked = [Float](repeating: 0, count: captureCLSAttention ? total : 0)

        for (layerIndex, layer) in weights.layers.enumerated() {
            linear(qkvRows, x, weight: layer.qkvWeight.pointer, bias: layer.qkvBias.pointer,
                   rows: total, inFeatures: width, outFeatures: 3 * width)
            let isLast = layerIndex == weights.layers.count - 1
            clsPacked.withUnsafeMutableBufferPointer { cls in
                attention(qkvRows, into: contextRows, rowOffsets: rowOffsets, lengths: lengths, scores: score,
                          clsAttention: isLast && captureCLSAttention ? cls.baseAddress : nil)
            }
            linear(projectedRows, contextRows, weight: layer.attentionOutputWeight.pointer,
                   bias: layer.attentionOutputBias.pointer, rows: total, inFeatures: width, outFeatures: width)
            addInPlace(x, projectedRows, count: total * width)  // x = x + attention output
            layerNorm(x, rows: total, width: width, gamma: layer.attentionNormGamma.pointer,
                      beta: layer.attentionNormBeta.pointer, epsilon: config.layerNormEpsilon)
            linear(inter, x, weight: layer.intermediateWeight.pointer, bias: layer.intermediateBias.pointer,
                   rows: total, inFeatures: width, outFeatures: config.intermediateSize)
            config.activation.apply(inter, count: total * config.intermediateSize)
            linear(projectedRows, inter, weight: layer.outputWeight.pointer, bias: layer.outputBias.pointer,
                   rows: total, inFeatures: config.intermediateSize, outFeatures: width)
            addInPlace(x, projectedRows, count: total * width)
            layerNorm(x, rows: total, width: width, gamma: layer.outputNormGamma.pointer,
                      beta: layer.outputNormBeta.pointer, epsilon: config.layerNormEpsilon)
            if captureLayers { layerStates?.append(Array(UnsafeBufferPointer(start: x, count: total * width))) }
        }
        return EncoderOutput(rowOffsets: rowOffsets, lengths: lengths,
                             lastHiddenState: Array(UnsafeBufferPointer(start: x, count: total * width)),
                             layerStates: layerStates,
                             clsAttention: captureCLSAttention
                                ? zip(rowOffsets, lengths).map { Array(clsPacked[$0..<($0 + $1)]) } : nil)
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
        layerNorm(x, rows: row, width: width, gamma: weights.embeddingNormGamma.pointer,
                  beta: weights.embeddingNormBeta.pointer, epsilon: config.layerNormEpsilon)
    }

    /// softmax(Q·Kᵀ/√d)·V per sequence and head, reading Q, K, V as strided views of the fused matrix.
    ///
    ///     qkv:     (T, 3H)  [Q | K | V], head h at columns h·d ..< (h+1)·d of each part
    ///     context: (T, H)
    ///     scores:  (L, L) scratch
    private func attention(_ qkv: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>,
                           rowOffsets: [Int], lengths: [Int], scores: UnsafeMutablePointer<Float>,
                           clsAttention: UnsafeMutablePointer<Float>?) {
        let width = config.hiddenSize
        let headSize = config.headSize
        let stride = Int32(3 * width)
        let scale = 1 / Float(headSize).squareRoot()
        for (sequence, length) in lengths.enumerated() {
            let rows = qkv + rowOffsets[sequence] * 3 * width
            let out = context + rowOffsets[sequence] * width
            let n = Int32(length)
            for head in 0..<config.headCount {
                let q = rows + head * headSize
                let k = rows + width + head * headSize
                let v = rows + 2 * width + head * headSize
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, Int32(headSize),
                            scale, q, stride, k, stride, 0, scores, n)
                softmaxRows(scores, rows: length, width: length)
                if let clsAttention {
                    // Row 0 of the probabilities: how much [CLS] attends to each token, averaged over heads.
                    let target = clsAttention + rowOffsets[sequence]
                    for token in 0..<length { target[token] += scores[token] / Float(config.headCount) }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, Int32(headSize), n,
                            1, scores, n, v, stride, 0, out + head * headSize, Int32(width))
            }
        }
    }

    private func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for index in 0..<count { x[index] += y[index] }
    }
}
