@testable import Config
import Foundation
import Testing
import Transformer
@testable import Monitor

@Suite("Configuration")
struct ConfigLoaderTests {
    @Test("the shipped config.json is valid and resolves paths against its folder")
    func shippedConfig() throws {
        let file = repositoryRoot.appendingPathComponent("config.json").path
        let config = try ConfigLoader.load(file: file, environment: [:])
        #expect(config.database == .sqlite(path: repositoryRoot.appendingPathComponent("var/monitor.sqlite").path))
        #expect(config.model.hasPrefix(repositoryRoot.appendingPathComponent("models").path))
        #expect(config.http.userAgent.contains("@"), "SEC EDGAR needs a contact address in the User-Agent")
        #expect(config.api == APISettings(host: "127.0.0.1", port: 8787))
        #expect(!config.feeds.isEmpty)
        #expect(config.rules.first?.cooldown == .seconds(1800))
    }

    @Test("each broken configuration names the key and the problem", arguments: badConfigCases)
    func badConfig(_ testCase: BadConfigCase) throws {
        let error = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(Array(testCase.json.utf8), file: "/etc/finsent/config.json", environment: [:])
        }
        let text = try #require(error).description
        #expect(text.contains("/etc/finsent/config.json: \(testCase.message)"), "got: \(text)")
    }

    @Test("every problem is reported, not just the first")
    func allProblems() throws {
        let json = configJSON(feeds: #"[{"id": "a", "url": "nope", "interval": 5}]"#,
                              rules: #"[{"id": "r", "metric": "x", "window": "1h", "above": 1}]"#)
        let error = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(Array(json.utf8), file: "c.json", environment: [:])
        }
        #expect(error?.issues.map(\.path) == ["feeds[0].url", "feeds[0].interval", "rules[0].metric"])
    }

    @Test("defaults fill the optional sections")
    func defaults() throws {
        let config = try ConfigLoader.parse(Array(#"{"database": "/data/m.sqlite", "model": "m"}"#.utf8),
                                            file: "/etc/finsent/config.json", environment: [:])
        #expect(config.database == .sqlite(path: "/data/m.sqlite"))
        #expect(config.model == "/etc/finsent/m")
        #expect(config.http.maxBodyBytes == 10 * 1024 * 1024)
        #expect(config.http.timeout == .seconds(20))
        #expect(config.api.port == 8787)
        #expect(config.feeds.isEmpty && config.rules.isEmpty && config.webhooks.isEmpty)
        #expect(config.logLevel == .info)
        #expect(config.engine.precision == .auto)
    }

    @Test("engine.precision picks the dense layers' arithmetic", arguments: [Precision.auto, .int8, .f32])
    func precision(_ precision: Precision) throws {
        let json = configJSON(extra: #", "engine": {"threads": 1, "precision": "\#(precision.rawValue)"}"#)
        let config = try ConfigLoader.parse(Array(json.utf8), file: "/etc/finsent/config.json", environment: [:])
        #expect(config.engine.precision == precision)
    }

    @Test("webhook secrets come from the environment or a file, several for rotation, never printed")
    func webhookSecrets() throws {
        let folder = try TemporaryFolder()
        let key1 = Data((0..<24).map { UInt8($0) }).base64EncodedString()
        let key2 = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
        try folder.write("secret", "whsec_\(key2)\n")
        let json = configJSON(webhooks: """
            [{"id": "env", "url": "https://hooks.example.com/a", "secretEnv": "HOOK_SECRET"},
             {"id": "file", "url": "http://127.0.0.1:9000/hook", "secretFile": "secret"}]
            """)
        let config = try ConfigLoader.parse(Array(json.utf8), file: folder.path("config.json"),
                                            environment: ["HOOK_SECRET": "whsec_\(key1) whsec_\(key2)"])
        #expect(config.webhooks[0].secrets.map(\.key) == [Array(Data(base64Encoded: key1)!), Array(Data(base64Encoded: key2)!)])
        #expect(config.webhooks[1].secrets.map(\.key) == [Array(Data(base64Encoded: key2)!)])
        #expect(!"\(config.webhooks[0])".contains(key1), "a printed configuration must not reveal the secret")

        let bad = #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.parse(Array(json.utf8), file: folder.path("config.json"), environment: ["HOOK_SECRET": "hunter2"])
        }
        #expect(bad?.description.contains("webhooks[0].secretEnv: secret 1 in environment variable HOOK_SECRET is not of the form whsec_") == true)
        #expect(bad?.description.contains("hunter2") == false)
    }

    @Test("durations", arguments: [("500ms", 0.5), ("2s", 2), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("1d", 86400)])
    func durations(text: String, seconds: Double) throws {
        let duration = try #require(DurationText.parse(text))
        #expect(duration.seconds == seconds)
        #expect(DurationText.format(duration) == text)
    }

    @Test("not durations", arguments: ["", "5", "m", "5 m", "-5m", "5y", "1.5h", "99999999999999999999d"])
    func notDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("JSON strings decode escapes and surrogate pairs")
    func jsonStrings() throws {
        let value = try JSONParser.parse(Array(#"["a\"b\\c\n", "\u00e9\ud83d\ude00", "caf\u00e9"]"#.utf8))
        #expect(value == .array([.string("a\"b\\c\n"), .string("é😀"), .string("café")]))
    }

    @Test("numbers keep whether they are whole")
    func jsonNumbers() throws {
        #expect(try JSONParser.parse(Array("[5, 5.0, -1e3]".utf8))
            == .array([.number(text: "5", isInteger: true), .number(text: "5.0", isInteger: false),
                       .number(text: "-1e3", isInteger: false)]))
    }
}

@Suite("Points in time as operators write them")
struct PointInTimeTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("a duration back from now, or an RFC 3339 time with or without a fraction and with any offset; a date alone is UTC midnight")
    func readable() {
        #expect(DurationText.pointInTime("24h", now: Self.now) == Self.now.addingTimeInterval(-86_400))
        #expect(DurationText.pointInTime("2026-11-25T14:03:00Z", now: Self.now) == Date(timeIntervalSince1970: 1_795_615_380))
        #expect(DurationText.pointInTime("2026-11-25T14:03:00.250Z", now: Self.now) == Date(timeIntervalSince1970: 1_795_615_380.25))
        #expect(DurationText.pointInTime("2026-11-25T15:03:00+01:00", now: Self.now) == Date(timeIntervalSince1970: 1_795_615_380))
        #expect(DurationText.pointInTime("2026-11-25", now: Self.now) == Date(timeIntervalSince1970: 1_795_564_800))
    }

    @Test("nonsense is no time, and the input that crashed Foundation's parser is just refused", arguments: [
        "yesterday", "2026-13-01T00:00:00Z", "2026-11-25T25:00:00Z", "2026-11-25T10:00:00+0d,:3", "",
        "2056-11-25T10:00:00.1211111111111111111111111111111111111111111111111111111113111111111111+0d,:3",
    ])
    func refused(_ text: String) {
        #expect(DurationText.pointInTime(text, now: Self.now) == nil)
    }
}
