/// Every tensor of a BERT encoder, found by the names Hugging Face saves
/// (`bert.encoder.layer.N.attention.self.query.weight`, …), with or without the
/// `bert.` prefix, and LayerNorm's `weight`/`bias` or older `gamma`/`beta`.
struct BertWeights: Sendable {
    struct Layer: Sendable {
        /// Query, key and value stacked (3·hidden outputs), so one product computes all three.
        let qkv: DenseLayer
        let attentionOutput: DenseLayer
        let attentionNormGamma: Weights, attentionNormBeta: Weights
        let intermediate: DenseLayer
        let output: DenseLayer
        let outputNormGamma: Weights, outputNormBeta: Weights
    }

    struct Head: Sendable {
        let config: HeadConfig
        let linear: PackedLinear  // hidden → labels
    }

    let wordEmbeddings: Weights        // (vocab, hidden)
    let positionEmbeddings: Weights    // (maxPositions, hidden)
    let tokenTypeEmbeddings: Weights   // (typeVocab, hidden)
    let embeddingNormGamma: Weights, embeddingNormBeta: Weights
    let layers: [Layer]
    /// BERT's pooler dense layer (tanh follows), if the checkpoint has one.
    let pooler: PackedLinear?
    let heads: [Head]
    /// The encoder layers' precision (resolved: `f32` or `int8`); the pooler and heads are F32.
    let precision: Precision

    init(file: Checkpoint, config: BertConfig, precision requested: Precision) throws(SafeTensorsError) {
        let precision = requested.resolved
        self.precision = precision
        let prefix = file.info("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        let hidden = config.hiddenSize
        func tensor(_ name: String, _ shape: [Int]) throws(SafeTensorsError) -> Weights {
            try file.weights(prefix + name, shape: shape)
        }
        /// A PyTorch nn.Linear (`name.weight` (out, in) and `name.bias`), packed in F32.
        func dense(_ name: String, out: Int, in inputs: Int) throws(SafeTensorsError) -> PackedLinear {
            let weight = try tensor(name + ".weight", [out, inputs])
            let linear = PackedLinear(weight: weight.pointer, bias: try tensor(name + ".bias", [out]), inFeatures: inputs, outFeatures: out)
            file.discard(prefix + name + ".weight")  // the packed copy is what runs
            return linear
        }
        /// An encoder layer's nn.Linear, packed in the model's precision.
        func encoderDense(_ name: String, out: Int, in inputs: Int) throws(SafeTensorsError) -> DenseLayer {
            let weight = try tensor(name + ".weight", [out, inputs])
            let layer = DenseLayer(weight: weight.pointer, bias: try tensor(name + ".bias", [out]), inFeatures: inputs,
                                   outFeatures: out, precision: precision)
            file.discard(prefix + name + ".weight")
            return layer
        }
        func norm(_ name: String) throws(SafeTensorsError) -> (Weights, Weights) {
            if file.info(prefix + name + ".weight") != nil || file.info(prefix + name + ".gamma") == nil {
                return (try tensor(name + ".weight", [hidden]), try tensor(name + ".bias", [hidden]))
            }
            return (try tensor(name + ".gamma", [hidden]), try tensor(name + ".beta", [hidden]))
        }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabularySize, hidden])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.maxPositions, hidden])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, hidden])
        (embeddingNormGamma, embeddingNormBeta) = try norm("embeddings.LayerNorm")
        var layers: [Layer] = []
        for index in 0..<config.layerCount {
            let base = "encoder.layer.\(index)."
            var qkv: [Float] = []
            var qkvBias: [Float] = []
            for part in ["query", "key", "value"] {
                qkv += try file.floats(prefix + base + "attention.self.\(part).weight", shape: [hidden, hidden])
                file.discard(prefix + base + "attention.self.\(part).weight")
                qkvBias += try file.floats(prefix + base + "attention.self.\(part).bias", shape: [hidden])
            }
            let (attentionGamma, attentionBeta) = try norm(base + "attention.output.LayerNorm")
            let (outputGamma, outputBeta) = try norm(base + "output.LayerNorm")
            layers.append(Layer(
                qkv: DenseLayer(weight: qkv, bias: Weights(qkvBias), inFeatures: hidden, outFeatures: 3 * hidden,
                                precision: precision),
                attentionOutput: try encoderDense(base + "attention.output.dense", out: hidden, in: hidden),
                attentionNormGamma: attentionGamma, attentionNormBeta: attentionBeta,
                intermediate: try encoderDense(base + "intermediate.dense", out: config.intermediateSize, in: hidden),
                output: try encoderDense(base + "output.dense", out: hidden, in: config.intermediateSize),
                outputNormGamma: outputGamma, outputNormBeta: outputBeta))
        }
        self.layers = layers
        if file.info(prefix + "pooler.dense.weight") != nil {
            pooler = try dense("pooler.dense", out: hidden, in: hidden)
        } else {
            pooler = nil
        }
        var heads: [Head] = []
        for head in Self.headConfigs(config, file: file) {
            if head.pooling == .pooler && pooler == nil {
                throw SafeTensorsError(file: file.files[0].path, tensor: prefix + "pooler.dense.weight",
                                       "missing, and head \(head.name) uses the pooler")
            }
            let weight = try file.weights(head.weight, shape: [head.labels.count, hidden])
            heads.append(Head(config: head, linear: PackedLinear(
                weight: weight.pointer, bias: try file.weights(head.bias, shape: [head.labels.count]),
                inFeatures: hidden, outFeatures: head.labels.count)))
        }
        self.heads = heads
    }

    /// The declared heads, or the single `classifier` of a Hugging Face checkpoint, or none (a bare `BertModel`).
    static func headConfigs(_ config: BertConfig, file: Checkpoint) -> [HeadConfig] {
        if !config.heads.isEmpty { return config.heads }
        guard let classifier = file.info("classifier.weight"), classifier.shape.count == 2 else { return [] }
        let count = classifier.shape[0]
        let labels = config.labels.count == count ? config.labels : (0..<count).map { "LABEL_\($0)" }
        return [HeadConfig(name: "sentiment", labels: labels, weight: "classifier.weight", bias: "classifier.bias")]
    }
}
