#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Text in any encoding glibc's iconv knows, to a String. Bytes invalid in that encoding become
/// U+FFFD and decoding goes on; a sequence cut off at the end becomes one U+FFFD.
enum Iconv {
    /// nil when iconv does not know the encoding.
    static func decode(_ bytes: ArraySlice<UInt8>, from encoding: String) -> String? {
        guard let converter = iconv_open("UTF-8", encoding), Int(bitPattern: converter) != -1 else { return nil }
        defer { iconv_close(converter) }
        var input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity(input.count + input.count / 2)
        var chunk = [CChar](repeating: 0, count: 16_384)
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        input.withUnsafeMutableBufferPointer { inBuffer in
            guard let start = inBuffer.baseAddress else { return }
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(start).assumingMemoryBound(to: CChar.self)
            var inLeft = inBuffer.count
            chunk.withUnsafeMutableBufferPointer { outBuffer in
                while inLeft > 0 {
                    var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                    var outLeft = outBuffer.count
                    let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    let produced = outBuffer.count - outLeft
                    output.append(contentsOf: UnsafeRawBufferPointer(start: outBuffer.baseAddress, count: produced))
                    guard result == -1 else { continue }
                    switch errno {
                    case E2BIG: continue
                    case EILSEQ:
                        output.append(contentsOf: replacement)
                        inPointer = inPointer.map { $0 + 1 }
                        inLeft -= 1
                    default:  // EINVAL: an incomplete sequence at the end
                        output.append(contentsOf: replacement)
                        inLeft = 0
                    }
                }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
