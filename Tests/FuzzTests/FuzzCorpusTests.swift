import Foundation
import Testing
import FuzzTargets

/// The fuzz targets in the normal test run: every committed seed and every input that once crashed
/// (fuzz/regressions/TARGET, kept as regression tests) goes through its target. The fuzzing itself
/// is scripts/fuzz.sh (libFuzzer); this keeps the targets building and the fixed crashes fixed.
@Suite("Fuzz targets: seeds and past crashes replay cleanly")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func files(_ folder: String) -> [URL] {
        let url = root.appendingPathComponent(folder)
        return ((try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []).sorted { $0.path < $1.path }
    }

    @Test("every target has seeds, and each seed and regression input runs through it", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let seeds = Self.files("fuzz/corpus/\(target.rawValue)")
        #expect(!seeds.isEmpty, "fuzz/corpus/\(target.rawValue) has no seed")
        for file in seeds + Self.files("fuzz/regressions/\(target.rawValue)") {
            let start = ContinuousClock.now
            try Data(contentsOf: file).withUnsafeBytes { target.run($0) }
            #expect(ContinuousClock.now - start < .seconds(1), "\(file.lastPathComponent) took over a second (libFuzzer's hang limit)")
        }
    }

    @Test("scripts/fuzz.sh --list names exactly the targets")
    func scriptList() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("scripts/fuzz.sh").path, "--list"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.split(separator: "\n").map(String.init) == FuzzTarget.allCases.map(\.rawValue))
    }

    @Test("the hostile inputs fuzzing is about are survived: deep nesting, huge numbers, bad bytes, broken headers")
    func hostile() {
        let inputs: [(FuzzTarget, [UInt8])] = [
            (.xml, Array(String(repeating: "<a>", count: 10_000).utf8)),
            (.jsonFeed, Array(String(repeating: "[", count: 10_000).utf8)),
            (.config, Array("{\"feeds\": [{\"interval\": \"99999999999999999999h\"}]}".utf8)),
            (.date, Array("Wed, 99 Nov 99999999999 99:99:99 +9999".utf8)),
            (.safetensors, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B]),
            (.safetensors, Array("\u{10}\0\0\0\0\0\0\0{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}".utf8)),
            (.wordpiece, [0xC3, 0x28, 0xFF, 0xFE, 0xF0, 0x9F, 0x98]),
            (.apiQuery, Array("/v1/risk?since=%&top=99999999999999999999999&window=-1h&entity=".utf8)),
            (.feed, [0x00, 0x00, 0xFE, 0xFF, 0x00, 0x00]),
        ]
        for (target, bytes) in inputs {
            bytes.withUnsafeBytes { target.run($0) }
        }
    }
}
