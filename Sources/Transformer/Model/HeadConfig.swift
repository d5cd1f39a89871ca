import Foundation

/// One classification head on the encoder's output.
///
/// A model folder declares its heads in `config.json` under `finsent_heads`:
///
///     "finsent_heads": [
///       {"name": "sentiment", "labels": ["negative", "neutral", "positive"],
///        "weight": "heads.sentiment.weight", "bias": "heads.sentiment.bias",
///        "pooling": "pooler", "temperature": 1.2},
///       {"name": "topic", "labels": [...], "weight": "heads.topic.weight", "bias": "heads.topic.bias"}
///     ]
///
/// Without it, a Hugging Face `BertForSequenceClassification` checkpoint has one
/// head called `sentiment`: `classifier.weight`/`classifier.bias` on the pooler
/// output, labels from `id2label`.
public struct HeadConfig: Sendable, Equatable {
    /// How the sequence is reduced to one vector before the head.
    public enum Pooling: String, Sendable {
        /// BERT's pooler: tanh(dense([CLS])), as `BertForSequenceClassification`.
        case pooler
        /// The [CLS] token's last hidden state.
        case cls
        /// The mean of all token states (sentence-transformers' default).
        case mean
    }

    static let configKey = "finsent_heads"

    public var name: String
    public var labels: [String]
    /// Tensor names of the (labels, hidden) weight and (labels) bias.
    public var weight: String
    public var bias: String
    public var pooling: Pooling
    /// Logits are divided by this before softmax (temperature scaling; 1 = none).
    public var temperature: Float

    public init(name: String, labels: [String], weight: String, bias: String, pooling: Pooling = .pooler, temperature: Float = 1) {
        self.name = name
        self.labels = labels
        self.weight = weight
        self.bias = bias
        self.pooling = pooling
        self.temperature = temperature
    }

    init(json: [String: Any], path: String, file: String) throws(ModelError) {
        guard let name = json["name"] as? String, !name.isEmpty else { throw ModelError(file: file, "\(path).name: required") }
        guard let labels = json["labels"] as? [String], !labels.isEmpty else {
            throw ModelError(file: file, "\(path).labels: expected a non-empty array of strings")
        }
        let pooling = json["pooling"].map { $0 as? String }.flatMap { $0.flatMap(Pooling.init(rawValue:)) }
        if json["pooling"] != nil && pooling == nil {
            throw ModelError(file: file, "\(path).pooling: expected \"pooler\", \"cls\" or \"mean\"")
        }
        let temperature = (json["temperature"] as? NSNumber)?.floatValue ?? 1
        guard temperature > 0 else { throw ModelError(file: file, "\(path).temperature: must be positive") }
        self.init(name: name, labels: labels, weight: json["weight"] as? String ?? "heads.\(name).weight",
                  bias: json["bias"] as? String ?? "heads.\(name).bias", pooling: pooling ?? .pooler, temperature: temperature)
    }
}
