import Foundation
import FuzzTargets

#if FUZZING
// libFuzzer's entry point (built by scripts/fuzz.sh with -sanitize=fuzzer,address -DFUZZING); the
// target is named by FINSENT_FUZZ_TARGET.
nonisolated(unsafe) let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FINSENT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("FINSENT_FUZZ_TARGET: unknown target \"\(name)\"; one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<target>_main`; here it hands over to libFuzzer's driver.
@_cdecl("finsent_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without libFuzzer: `finsent-fuzz TARGET FILE…` runs the target on each file (to reproduce a
/// crash, or replay a corpus under a debugger); `finsent-fuzz --list` names the targets.
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--list" {
            FuzzTarget.allCases.forEach { print($0.rawValue) }
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: finsent-fuzz TARGET FILE…  |  finsent-fuzz --list\n".utf8))
            exit(64)
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("finsent-fuzz: cannot read \(file)\n".utf8))
                exit(66)
            }
            data.withUnsafeBytes { target.run($0) }
        }
    }
}
#endif
