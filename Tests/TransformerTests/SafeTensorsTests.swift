import Foundation
import Testing
@testable import Transformer

/// Writes a safetensors file from a header and raw data; returns its path.
private func writeSafeTensors(header: String, data: [UInt8], headerLength: UInt64? = nil) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-st-\(UUID().uuidString).safetensors")
    var bytes: [UInt8] = []
    var length = (headerLength ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: Array(header.utf8))
    bytes.append(contentsOf: data)
    try Data(bytes).write(to: url)
    return url.path
}

private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value -> [UInt8] in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// The tiny model's weights and tokenizer in a new folder (config.json is the caller's to write).
@discardableResult
private func tinyBertCopy(into folder: URL? = nil) throws -> URL {
    let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("finsent-tiny-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in ["model.safetensors", "vocab.txt", "tokenizer.json"] {
        let source = URL(fileURLWithPath: tinyBertFolder + "/" + name).resolvingSymlinksInPath()
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent(name))
    }
    return folder
}

private func tinyBertConfig() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tinyBertFolder + "/config.json"))) as! [String: Any]
}

@Suite("safetensors files")
struct SafeTensorsTests {
    @Test("F32, F16 and BF16 tensors read as Float, other dtypes are validated and skipped")
    func dtypes() throws {
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00]   // 1, -2, 65504, smallest subnormal, +inf
        let bf16: [UInt16] = [0x3F80, 0xC0A0]                          // 1, -5
        var data = floatBytes([1.5, -0.25])
        data += f16.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
        data += bf16.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } }
        data += [UInt8](repeating: 0, count: 16)
        let path = try writeSafeTensors(header: """
            {"__metadata__": {"format": "pt"},
             "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "h": {"dtype": "F16", "shape": [5], "data_offsets": [8, 18]},
             "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [18, 22]},
             "ids": {"dtype": "I64", "shape": [2], "data_offsets": [22, 38]}}
            """, data: data)
        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(try file.floats("a") == [1.5, -0.25])
        #expect(try file.weights("a").array == [1.5, -0.25])
        #expect(try file.floats("h") == [1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1), .infinity])
        #expect(try file.floats("b", shape: [1, 2]) == [1, -5])
        let shape = #expect(throws: SafeTensorsError.self) { _ = try file.floats("b", shape: [2, 1]) }
        #expect(shape?.description == "\(path): tensor b: shape [1, 2], expected [2, 1]")
        let ids = #expect(throws: SafeTensorsError.self) { _ = try file.floats("ids") }
        #expect(ids?.description.contains("tensor ids: dtype I64 cannot be read as weights") == true)
        let missing = #expect(throws: SafeTensorsError.self) { _ = try file.floats("nope") }
        #expect(missing?.description == "\(path): tensor nope: missing")
    }

    @Test("malformed files are one clear error naming the file and tensor", arguments: [
        (#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, 8, "tensor w: data [0, 16) runs past the end of the file (truncated?)"),
        (#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8, "tensor w: shape [3] of F32 needs 12 bytes, offsets give 8"),
        (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "v": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, "data overlaps tensor w"),
        (#"{"w": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}}"#, 8, "tensor w: unknown dtype Q4"),
        (#"{"w": {"dtype": "F32", "shape": [2]}}"#, 8, "tensor w: header entry needs dtype, shape and two data_offsets"),
        (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, 8, "tensor w: invalid shape [2] or offsets [8, 0]"),
        (#"{"w": "#, 8, "header is not valid JSON"),
        (#"[1, 2]"#, 8, "header is not a JSON object"),
    ])
    func malformed(header: String, dataBytes: Int, message: String) throws {
        let path = try writeSafeTensors(header: header, data: [UInt8](repeating: 0, count: dataBytes))
        let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: path) }
        #expect(error?.description.hasPrefix(path + ": ") == true)
        #expect(error?.description.contains(message) == true, "got: \(String(describing: error))")
    }

    @Test("truncated headers and tiny files")
    func truncated() throws {
        let lying = try writeSafeTensors(header: "{}", data: [], headerLength: 4096)
        let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: lying) }
        #expect(error?.description == "\(lying): truncated: header of 4096 bytes but the file has 10")

        let tiny = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-st-\(UUID().uuidString)").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        let short = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: tiny) }
        #expect(short?.description.contains("shorter than the 8-byte header length") == true)

        let absent = #expect(throws: SafeTensorsError.self) { _ = try SafeTensorsFile(path: tiny + ".missing") }
        #expect(absent?.description.contains("cannot open: No such file or directory") == true)
    }

    @Test("a model folder with a missing or inconsistent part names the file")
    func modelFolders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finsent-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let noConfig = #expect(throws: ModelError.self) { _ = try TextClassifier(folder: folder.path) }
        #expect(noConfig?.description == "\(folder.path)/config.json: missing (expected a Hugging Face model folder)")

        // The tiny model's files, with a config that disagrees with the weights.
        try tinyBertCopy(into: folder)
        var config = try tinyBertConfig()
        config["intermediate_size"] = 48
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let mismatch = #expect(throws: ModelError.self) { _ = try TextClassifier(folder: folder.path) }
        #expect(mismatch?.description == "\(folder.path)/model.safetensors: tensor bert.encoder.layer.0.intermediate.dense.weight: shape [64, 32], expected [48, 32]")

        config["hidden_act"] = "swish"
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let activation = #expect(throws: ModelError.self) { _ = try TextClassifier(folder: folder.path) }
        #expect(activation?.description.contains("hidden_act swish is not supported") == true)

        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        config["hidden_act"] = "gelu"
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let noWeights = #expect(throws: ModelError.self) { _ = try TextClassifier(folder: folder.path) }
        #expect(noWeights?.description.contains("model.safetensors: missing, and no model.safetensors.index.json either") == true)
    }

    @Test("a plain checkpoint's head is called sentiment with its id2label labels; explanations cover the words")
    func headsAndExplanations() throws {
        let classifier = try TextClassifier(folder: tinyBertFolder, threads: 1, precision: .f32)
        #expect(classifier.heads.map(\.name) == ["sentiment"])
        #expect(classifier.heads[0].labels == ["negative", "neutral", "positive"])
        let result = try #require(classifier.classify(["Shares plunge after the unexpected profit warning"], explain: .attention).first)
        let sentiment = try #require(result[head: "sentiment"])
        #expect(abs(sentiment.probabilities.reduce(0, +) - 1) < 1e-5)
        let explanation = try #require(result.explanation)
        #expect(explanation.head == "sentiment" && explanation.label == sentiment.label && explanation.method == .attention)
        let words = explanation.words
        #expect(Set(words.map(\.word)) == ["Shares", "plunge", "after", "the", "unexpected", "profit", "warning"])
        #expect(Set(explanation.evidence.map(\.word)) == ["Shares", "plunge", "unexpected", "profit", "warning"], "no filler shown")
        #expect(abs(words.reduce(0) { $0 + $1.weight } - 1) < 1e-4)
        #expect(words.map(\.weight) == words.map(\.weight).sorted(by: >))
    }
}

@Suite("Declared heads")
struct DeclaredHeadsTests {
    @Test("finsent_heads: several named heads on one pass, each with its pooling and temperature")
    func multipleHeads() throws {
        let folder = try tinyBertCopy()
        var config = try tinyBertConfig()
        config["finsent_heads"] = [
            ["name": "tone", "labels": ["bad", "meh", "good"], "weight": "classifier.weight", "bias": "classifier.bias"],
            ["name": "calibrated", "labels": ["bad", "meh", "good"], "weight": "classifier.weight", "bias": "classifier.bias",
             "temperature": 2.5],
            ["name": "averaged", "labels": ["x", "y", "z"], "weight": "classifier.weight", "bias": "classifier.bias",
             "pooling": "mean"],
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))

        let multi = try TextClassifier(folder: folder.path, threads: 1, precision: .f32)
        let plain = try TextClassifier(folder: tinyBertFolder, threads: 1, precision: .f32)
        #expect(multi.heads.map(\.name) == ["tone", "calibrated", "averaged"])
        let text = "Regulator fines the bank over trading lapses"
        let result = try #require(multi.classify([text]).first)
        let reference = try #require(plain.classify([text]).first?[head: "sentiment"])
        let tone = try #require(result[head: "tone"])
        let calibrated = try #require(result[head: "calibrated"])
        let averaged = try #require(result[head: "averaged"])
        #expect(tone.logits == reference.logits, "same tensors and pooling as the plain head")
        #expect(calibrated.logits == tone.logits)
        let expected = tone.logits.map { exp($0 / 2.5) }
        let total = expected.reduce(0, +)
        #expect(zip(calibrated.probabilities, expected).allSatisfy { abs($0 - $1 / total) < 1e-6 }, "softmax(logits / temperature)")
        #expect(averaged.logits != tone.logits, "mean pooling differs from the pooler")
        #expect(averaged.labels == ["x", "y", "z"])
    }

    @Test("a declared head whose tensor is missing names the tensor")
    func missingHeadTensor() throws {
        let folder = try tinyBertCopy()
        var config = try tinyBertConfig()
        config["finsent_heads"] = [["name": "topic", "labels": ["a", "b"]]]
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        let error = #expect(throws: ModelError.self) { _ = try TextClassifier(folder: folder.path) }
        #expect(error?.description == "\(folder.path)/model.safetensors: tensor heads.topic.weight: missing")
    }
}
