import ArgumentParser
import Config
import Foundation
import Monitor
import Store

/// `monitorctl db copy --to postgresql://…`: moves the embedded SQLite database into PostgreSQL.
struct DatabaseCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy the SQLite database (items, scores, alerts, outbox, feed state) into PostgreSQL.",
        discussion: """
            Stop monitord first: the copy reads the file as it is. The target's schema is created if needed. \
            A target that already holds rows is refused unless --append; an interrupted copy resumes with --append \
            (rows keep their ids, and rows already copied are skipped). Give the password with --password-env or \
            --password-file rather than in the URI.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "The PostgreSQL database to copy into: postgresql://user@host:port/dbname[?sslmode=…].")
    var to: String

    @Option(help: "The SQLite file to copy (default: the configuration's database).")
    var from: String?

    @Option(help: "Environment variable that holds the target's password.")
    var passwordEnv: String?

    @Option(help: "File that holds the target's password.")
    var passwordFile: String?

    @Flag(help: "Add to a target that already holds rows (also resumes an interrupted copy).")
    var append = false

    func run() async throws {
        var target: PostgresLocation
        do {
            target = try PostgresLocation(uri: to)
        } catch {
            printError("monitorctl: --to: not a usable PostgreSQL URI: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        if let passwordEnv {
            guard let password = ProcessInfo.processInfo.environment[passwordEnv] else {
                printError("monitorctl: environment variable \(passwordEnv) is not set")
                throw ExitCode(ExitStatus.usage)
            }
            target.password = password
        } else if let passwordFile {
            guard let password = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                printError("monitorctl: cannot read password file \(passwordFile)")
                throw ExitCode(ExitStatus.noInput)
            }
            target.password = password.trimmingCharacters(in: .newlines)
        }
        let source: String
        if let from {
            source = from
        } else {
            guard case let .sqlite(path) = try options.load().database else {
                printError("monitorctl: the configured database is already PostgreSQL; pass --from FILE to copy an SQLite file")
                throw ExitCode(ExitStatus.usage)
            }
            source = path
        }
        guard FileManager.default.fileExists(atPath: source) else {
            printError("monitorctl: cannot open database \(source): no such file")
            throw ExitCode(ExitStatus.cannotCreate)
        }
        let terminal = isatty(STDERR_FILENO) == 1
        do {
            let copied = try await DatabaseCopy(from: source, to: target).run(append: append) { progress in
                guard terminal else { return }
                let line = "\r\(progress.table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(progress.copied)/\(progress.total)"
                FileHandle.standardError.write(Data((line + (progress.copied == progress.total ? "\n" : "")).utf8))
            }
            for (table, inserted) in copied {
                print("\(table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(inserted) rows copied")
            }
            print("copied \(source) into \(target); set \"database\" to that URI and start monitord")
        } catch let refusal as DatabaseCopy.Refusal {
            printError("monitorctl: \(refusal)")
            throw ExitCode(ExitStatus.dataError)
        } catch let error as StoreError {
            printError("monitorctl: \(error)")
            throw ExitCode(ExitStatus.of(error))
        } catch {
            printError("monitorctl: copy failed (run it again with --append to resume): \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
