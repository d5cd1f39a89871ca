import Foundation
import Transformer

let transformerFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let tinyBertFolder = transformerFixtures.appendingPathComponent("tiny-bert").path
/// Assembled by scripts/fetch-test-models.sh (all-MiniLM-L6-v2 from PyPI plus the committed head).
let miniLMClassifierFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../.cache/minilm-cls").standardizedFileURL.path
let miniLMAvailable = FileManager.default.fileExists(atPath: miniLMClassifierFolder + "/base.safetensors")

/// PyTorch/transformers outputs recorded by tools/engine/make_reference.py.
struct ReferenceFixture {
    struct Slice: Decodable { let offset: Int; let count: Int }
    struct Text: Decodable {
        let text: String
        let ids: [Int32]
        let logits: [Float]
        let cls_attention: [Float]
        let last_hidden: Slice
        let layers: [Slice]?
    }
    struct Manifest: Decodable { let hidden_size: Int; let texts: [Text] }

    let manifest: Manifest
    private let values: [Float]

    init(_ name: String) throws {
        manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: transformerFixtures.appendingPathComponent("\(name).json")))
        let data = try Data(contentsOf: transformerFixtures.appendingPathComponent("\(name).f32"))
        values = data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    func floats(_ slice: Slice) -> ArraySlice<Float> { values[slice.offset..<(slice.offset + slice.count)] }
}

/// The largest absolute difference between two runs of floats (infinity when lengths differ).
func maxAbsDifference(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] } ?? -1 }
