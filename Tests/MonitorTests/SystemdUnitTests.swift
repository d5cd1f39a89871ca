import Foundation
import Testing

private let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile(atPath:))

@Suite("systemd unit")
struct SystemdUnitTests {
    @Test("systemd/monitord.service passes systemd-analyze verify without a warning",
          .enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed"))
    func verify() async throws {
        let unit = try String(contentsOf: repositoryRoot.appendingPathComponent("systemd/monitord.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify"))
        #expect(unit.contains("WatchdogSec="))
        // verify checks that ExecStart exists, so point it at the binary just built.
        let folder = try TemporaryFolder()
        let file = try folder.write("monitord.service",
                                    unit.replacingOccurrences(of: "/usr/local/bin/monitord", with: try productPath("monitord")))
        let result = try await runCommand(systemdAnalyze!, ["verify", file])
        let output = result.stdout + result.stderr
        #expect(result.status == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze said: \(output)")
    }
}
