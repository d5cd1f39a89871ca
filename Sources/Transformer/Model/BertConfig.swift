import Foundation

/// The parts of a Hugging Face BERT `config.json` the encoder needs, with HF's defaults.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize = 768
    public var layerCount = 12
    public var headCount = 12
    public var intermediateSize = 3072
    public var activation = Activation.gelu
    public var layerNormEpsilon: Float = 1e-12
    public var maxPositions = 512
    public var typeVocabularySize = 2
    public var vocabularySize = 30522
    /// Class labels by id (`id2label`), for a plain single-head checkpoint.
    public var labels: [String] = []
    /// FinSent's multi-head declaration (`finsent_heads`), if any.
    public var heads: [HeadConfig] = []

    public var headSize: Int { hiddenSize / headCount }

    /// Reads `config.json`; unsupported values are a `ModelError` naming the key.
    public init(file: String) throws(ModelError) {
        let json: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelError(file: file, "expected a JSON object")
            }
            json = object
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError(file: file, "cannot read: \(error.localizedDescription)")
        }
        try self.init(json: json, file: file)
    }

    init(json: [String: Any], file: String) throws(ModelError) {
        func int(_ key: String, _ current: Int) throws(ModelError) -> Int {
            guard let value = json[key] else { return current }
            guard let number = value as? NSNumber, number.intValue > 0 else {
                throw ModelError(file: file, "\(key): expected a positive integer, got \(value)")
            }
            return number.intValue
        }
        if let type = json["model_type"] as? String, type != "bert" {
            throw ModelError(file: file, "model_type \"\(type)\" is not supported (BERT-family encoders with model_type \"bert\")")
        }
        hiddenSize = try int("hidden_size", hiddenSize)
        layerCount = try int("num_hidden_layers", layerCount)
        headCount = try int("num_attention_heads", headCount)
        intermediateSize = try int("intermediate_size", intermediateSize)
        maxPositions = try int("max_position_embeddings", maxPositions)
        typeVocabularySize = try int("type_vocab_size", typeVocabularySize)
        vocabularySize = try int("vocab_size", vocabularySize)
        guard hiddenSize % headCount == 0 else {
            throw ModelError(file: file, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        if let name = json["hidden_act"] {
            guard let text = name as? String, let activation = Activation(huggingFaceName: text) else {
                throw ModelError(file: file, "hidden_act \(name) is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)")
            }
            self.activation = activation
        }
        if let epsilon = json["layer_norm_eps"] as? NSNumber { layerNormEpsilon = epsilon.floatValue }
        if let id2label = json["id2label"] as? [String: Any] {
            let pairs = id2label.compactMap { key, value in Int(key).map { ($0, "\(value)") } }.sorted { $0.0 < $1.0 }
            guard pairs.map(\.0) == Array(0..<pairs.count) else {
                throw ModelError(file: file, "id2label: ids must be 0, 1, 2… without gaps")
            }
            labels = pairs.map(\.1)
        }
        if let declared = json[HeadConfig.configKey] {
            guard let list = declared as? [[String: Any]], !list.isEmpty else {
                throw ModelError(file: file, "\(HeadConfig.configKey): expected a non-empty array of objects")
            }
            heads = try list.enumerated().map { (index, entry) throws(ModelError) in
                try HeadConfig(json: entry, path: "\(HeadConfig.configKey)[\(index)]", file: file)
            }
            let names = heads.map(\.name)
            if Set(names).count != names.count { throw ModelError(file: file, "\(HeadConfig.configKey): head names must be unique") }
        }
    }
}
