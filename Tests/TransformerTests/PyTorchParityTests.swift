import Foundation
import Testing
import Transformer

/// Our encoder against PyTorch/transformers on the same weights: every layer's hidden
/// states, logits, argmax and the [CLS] attention used for explanations.
@Suite("Same numbers as PyTorch")
struct PyTorchParityTests {
    static let tolerance: Float = 1e-4

    /// Compares one checkpoint text by text (each text alone, as the reference ran them).
    func compare(folder: String, fixture name: String) throws {
        let reference = try ReferenceFixture(name)
        let classifier = try TextClassifier(folder: folder, maxLength: 128, threads: 1, precision: .f32)
        #expect(reference.manifest.texts.count >= 50)
        for (index, expected) in reference.manifest.texts.enumerated() {
            let encoding = classifier.tokenizer.encode(expected.text, maxLength: 128)
            try #require(encoding.ids == expected.ids, "text \(index): token ids differ from Hugging Face")
            let output = classifier.encoder.forward([encoding.ids], captureLayers: expected.layers != nil, attention: .cls)
            if let layers = expected.layers {
                for (layer, slice) in layers.enumerated() {
                    let difference = maxAbsDifference(output.layerStates![layer], reference.floats(slice))
                    try #require(difference < Self.tolerance, """
                        text \(index): \(layer == 0 ? "embeddings" : "encoder layer \(layer - 1)") output differs \
                        from PyTorch by \(difference) (first layer that differs)
                        """)
                }
            }
            let hidden = maxAbsDifference(output.lastHiddenState, reference.floats(expected.last_hidden))
            #expect(hidden < Self.tolerance, "text \(index): last hidden state differs by \(hidden)")
            let attention = maxAbsDifference(output.attention![0], expected.cls_attention)
            #expect(attention < Self.tolerance, "text \(index): [CLS] attention differs by \(attention)")
            // What every token receives, averaged over rows and heads: each row is a distribution, so the mean is one too.
            let received = try #require(classifier.encoder.forward([encoding.ids], attention: .received).attention?.first)
            #expect(abs(received.reduce(0, +) - 1) < 1e-4 && received.allSatisfy { $0 >= 0 }, "text \(index): received attention")
        }
        // Logits through the public API, in packed batches of mixed lengths.
        let results = classifier.classify(reference.manifest.texts.map(\.text), batchSize: 8)
        for (index, (result, expected)) in zip(results, reference.manifest.texts).enumerated() {
            let head = try #require(result.heads.first)
            let difference = maxAbsDifference(head.logits, expected.logits)
            #expect(difference < Self.tolerance, "text \(index): logits differ by \(difference)")
            #expect(argmax(head.logits) == argmax(expected.logits), "text \(index): a different label wins")
        }
    }

    @Test("tiny random BertForSequenceClassification (F16, BF16 and F32 tensors, gelu_new)")
    func tinyBert() throws {
        try compare(folder: tinyBertFolder, fixture: "tiny-bert")
    }

    @Test("all-MiniLM-L6-v2 with a seeded classification head, loaded from a sharded checkpoint",
          .enabled(if: miniLMAvailable, "run scripts/fetch-test-models.sh (make test does) to fetch all-MiniLM-L6-v2"))
    func miniLM() throws {
        try compare(folder: miniLMClassifierFolder, fixture: "minilm-cls")
    }

    @Test("mean-pooled embeddings are the mean of the token states (sentence-transformers pooling)",
          .enabled(if: miniLMAvailable, "run scripts/fetch-test-models.sh"))
    func embeddings() throws {
        let reference = try ReferenceFixture("minilm-cls")
        let classifier = try TextClassifier(folder: miniLMClassifierFolder, threads: 1, precision: .f32)
        let texts = reference.manifest.texts.prefix(10)
        let vectors = classifier.embed(texts.map(\.text), pooling: .mean)
        let width = reference.manifest.hidden_size
        for (vector, expected) in zip(vectors, texts) {
            let states = Array(reference.floats(expected.last_hidden))
            let tokens = states.count / width
            let mean = (0..<width).map { column in (0..<tokens).reduce(Float(0)) { $0 + states[$1 * width + column] } / Float(tokens) }
            #expect(maxAbsDifference(vector, mean) < Self.tolerance)
        }
    }

    @Test("several worker threads give exactly the single-threaded numbers, for batches and for single texts")
    func threadsAgree() throws {
        let reference = try ReferenceFixture("tiny-bert")
        let texts = reference.manifest.texts.map(\.text)
        let single = try TextClassifier(folder: tinyBertFolder, threads: 1, precision: .f32)
        let parallel = try TextClassifier(folder: tinyBertFolder, threads: 2, precision: .f32)
        #expect(parallel.threads == 2)
        for method in ExplanationMethod.allCases {
            let expected = single.classify(texts, batchSize: 8, explain: method)
            #expect(parallel.classify(texts, batchSize: 8, explain: method) == expected, "\(method): batches split between workers")
            #expect(texts.map { parallel.classify([$0], explain: method)[0] } == expected, "\(method): one text, columns split between workers")
        }
    }
}
