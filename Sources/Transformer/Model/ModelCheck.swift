import Foundation
import WordPiece

/// What `monitorctl config check` says of a model folder, read without loading the weights:
/// config.json parses, the tokenizer loads, the safetensors headers parse and hold the tensors this
/// configuration needs, with the right shapes, and at least one classification head.
public struct ModelCheck: Sendable {
    public let layers: Int
    public let hidden: Int
    public let vocabulary: Int
    /// "sentiment (3 labels)", …
    public let heads: [String]

    public init(folder: String) throws(ModelError) {
        let base = URL(fileURLWithPath: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelError(file: folder, "is not a folder (expected a Hugging Face model folder with config.json, the tokenizer and model.safetensors)")
        }
        let configFile = base.appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configFile) else {
            throw ModelError(file: configFile, "missing (expected a Hugging Face model folder)")
        }
        let config = try BertConfig(file: configFile)
        let tokenizer: WordPieceTokenizer
        do { tokenizer = try WordPieceTokenizer(folder: folder) } catch { throw ModelError(error) }
        guard tokenizer.vocabulary.count <= config.vocabularySize else {
            throw ModelError(file: configFile, "vocab_size \(config.vocabularySize) is smaller than the tokenizer's \(tokenizer.vocabulary.count) tokens")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(folder: folder) } catch { throw ModelError(error) }
        let prefix = checkpoint.info("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        let hidden = config.hiddenSize
        func expect(_ name: String, _ shape: [Int]) throws(ModelError) {
            guard let info = checkpoint.info(name) else {
                throw ModelError(file: base.appendingPathComponent("model.safetensors").path, "has no tensor \(name)")
            }
            guard info.shape == shape else {
                throw ModelError(file: base.appendingPathComponent("model.safetensors").path,
                                 "tensor \(name) has shape \(info.shape), config.json needs \(shape)")
            }
        }
        try expect(prefix + "embeddings.word_embeddings.weight", [config.vocabularySize, hidden])
        try expect(prefix + "embeddings.position_embeddings.weight", [config.maxPositions, hidden])
        for layer in 0..<config.layerCount {
            let p = prefix + "encoder.layer.\(layer)."
            try expect(p + "attention.self.query.weight", [hidden, hidden])
            try expect(p + "intermediate.dense.weight", [config.intermediateSize, hidden])
            try expect(p + "output.dense.weight", [hidden, config.intermediateSize])
        }
        let heads = BertWeights.headConfigs(config, file: checkpoint)
        guard !heads.isEmpty else { throw ModelError(file: configFile, "no classification head (finsent_heads in config.json, or classifier.weight)") }
        for head in heads { try expect(head.weight, [head.labels.count, hidden]) }
        layers = config.layerCount
        self.hidden = hidden
        vocabulary = tokenizer.vocabulary.count
        self.heads = heads.map { "\($0.name) (\($0.labels.count) labels)" }
    }
}
