import Foundation

/// The weights of a model folder: `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json` (`weight_map`: tensor name → file), as Hugging Face saves them.
public final class Checkpoint: Sendable {
    public let files: [SafeTensorsFile]
    private let fileOfTensor: [String: Int]

    /// Opens the checkpoint of a model folder.
    public init(folder: String) throws(SafeTensorsError) {
        let base = URL(fileURLWithPath: folder)
        let single = base.appendingPathComponent("model.safetensors").path
        let index = base.appendingPathComponent("model.safetensors.index.json").path
        if FileManager.default.fileExists(atPath: single) {
            files = [try SafeTensorsFile(path: single)]
            fileOfTensor = Dictionary(uniqueKeysWithValues: files[0].tensors.keys.map { ($0, 0) })
            return
        }
        guard FileManager.default.fileExists(atPath: index) else {
            throw SafeTensorsError(file: single, "missing, and no model.safetensors.index.json either (only safetensors checkpoints are read; convert pytorch_model.bin first)")
        }
        guard let data = FileManager.default.contents(atPath: index),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String]
        else { throw SafeTensorsError(file: index, "expected a JSON object with a weight_map of tensor names to files") }
        var files: [SafeTensorsFile] = []
        var position: [String: Int] = [:]
        var fileOfTensor: [String: Int] = [:]
        for (tensor, name) in map.sorted(by: { $0.key < $1.key }) {
            guard !name.contains("/") else { throw SafeTensorsError(file: index, tensor: tensor, "shard \(name) is outside the folder") }
            if position[name] == nil {
                position[name] = files.count
                files.append(try SafeTensorsFile(path: base.appendingPathComponent(name).path))
            }
            guard files[position[name]!].tensors[tensor] != nil else {
                throw SafeTensorsError(file: files[position[name]!].path, tensor: tensor, "listed in the index but not in the shard")
            }
            fileOfTensor[tensor] = position[name]
        }
        self.files = files
        self.fileOfTensor = fileOfTensor
    }

    /// The header entry of a tensor, if the checkpoint has it.
    public func info(_ name: String) -> SafeTensorsFile.TensorInfo? {
        fileOfTensor[name].flatMap { files[$0].tensors[name] }
    }

    /// A tensor as `Float` weights (mapped when possible), shape-checked.
    public func weights(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> Weights {
        try file(for: name).weights(name, shape: shape)
    }

    /// A tensor's elements as a `Float` array, shape-checked.
    public func floats(_ name: String, shape: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        try file(for: name).floats(name, shape: shape)
    }

    /// Drops a tensor's mapped pages from resident memory (see `SafeTensorsFile.discard`).
    public func discard(_ name: String) {
        fileOfTensor[name].map { files[$0].discard(name) }
    }

    /// A hash of every file's bytes.
    public func contentHash() -> UInt64 {
        files.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ $1.contentHash()) &* 0x100_0000_01b3 }
    }

    private func file(for name: String) throws(SafeTensorsError) -> SafeTensorsFile {
        guard let index = fileOfTensor[name] else {
            throw SafeTensorsError(file: files.first?.path ?? "model.safetensors", tensor: name, "missing")
        }
        return files[index]
    }
}
