import Foundation

/// A memory-mapped `.safetensors` file (Hugging Face's format: an 8-byte little-endian
/// header length, a JSON header, then raw tensor data).
///
/// The header is validated when the file is opened: well-formed JSON, known dtypes,
/// every tensor's byte range inside the data and no two overlapping, and each range
/// exactly as long as its shape and dtype say. A malformed or truncated file is a
/// `SafeTensorsError` naming the file and tensor, never a crash.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Element types of the format. Only F32, F16 and BF16 can be read as weights;
    /// the others are validated and skipped (e.g. BERT's I64 `position_ids` buffer).
    public enum DType: String, Sendable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
        case bool = "BOOL"

        var size: Int {
            switch self {
            case .f64, .i64, .u64: 8
            case .f32, .i32, .u32: 4
            case .f16, .bf16, .i16, .u16: 2
            case .f8e4m3, .f8e5m2, .i8, .u8, .bool: 1
            }
        }
    }

    /// One tensor's entry in the header.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section.
        public let range: Range<Int>

        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    /// Tensors by name.
    public let tensors: [String: TensorInfo]
    /// The `__metadata__` strings, if any.
    public let metadata: [String: String]

    // The mapping stays valid for the life of this object; read-only, so sharing it is safe.
    private let base: UnsafeRawPointer
    private let length: Int
    private let dataStart: Int

    /// Headers larger than this are refused (real ones are well under 1 MB).
    static let maximumHeaderBytes = 100 << 20

    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError(file: path, "cannot stat: \(String(cString: strerror(errno)))") }
        length = Int(info.st_size)
        guard length >= 8 else { throw SafeTensorsError(file: path, "truncated: \(length) bytes, shorter than the 8-byte header length") }
        guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            throw SafeTensorsError(file: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapping)
        do {
            (tensors, metadata, dataStart) = try Self.parseHeader(base: base, length: length, path: path)
        } catch {
            munmap(mapping, length)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }

    /// A tensor's elements as `Float`, upcast from F16/BF16. Checks the shape when `shape` is given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        guard let tensor = tensors[name] else { throw SafeTensorsError(file: path, tensor: name, "missing") }
        if let expected, expected != tensor.shape {
            throw SafeTensorsError(file: path, tensor: name, "shape \(tensor.shape), expected \(expected)")
        }
        let bytes = base + dataStart + tensor.range.lowerBound
        let count = tensor.elementCount
        switch tensor.dtype {
        case .f64, .f8e4m3, .f8e5m2, .i64, .i32, .i16, .i8, .u64, .u32, .u16, .u8, .bool:
            throw SafeTensorsError(file: path, tensor: name, "dtype \(tensor.dtype.rawValue) cannot be read as weights (F32, F16, BF16)")
        case .f32:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                // memcpy: the data need not be 4-byte aligned in the file.
                memcpy(buffer.baseAddress!, bytes, count * 4)
                initialized = count
            }
        case .f16, .bf16:
            let convert = tensor.dtype == .f16 ? HalfPrecision.float16ToFloat : HalfPrecision.bfloat16ToFloat
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    buffer[index] = convert(bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self).littleEndian)
                }
                initialized = count
            }
        }
    }

    /// A tensor as `Float`: a view into the mapping when stored as aligned F32 (no copy),
    /// else upcast into memory of its own.
    public func weights(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> Weights {
        guard let tensor = tensors[name] else { throw SafeTensorsError(file: path, tensor: name, "missing") }
        let start = dataStart + tensor.range.lowerBound
        if tensor.dtype == .f32, start % MemoryLayout<Float>.alignment == 0, expected == nil || expected == tensor.shape {
            let pointer = (base + start).assumingMemoryBound(to: Float.self)
            return Weights(pointer: pointer, count: tensor.elementCount, owner: self)
        }
        return Weights(try floats(name, shape: expected))
    }

    /// Drops a tensor's mapped pages from this process's resident memory, once its values
    /// have been copied or packed elsewhere (they are read back from the file if touched again).
    public func discard(_ name: String) {
        guard let tensor = tensors[name] else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (dataStart + tensor.range.lowerBound + page - 1) / page * page
        let end = (dataStart + tensor.range.upperBound) / page * page
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    /// A 64-bit hash of the whole file (FNV-1a over 8-byte words): changes when any weight does.
    /// Reading every page would keep the whole file resident, so the pages are released after.
    public func contentHash() -> UInt64 {
        defer { madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_DONTNEED) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var offset = 0
        while offset + 8 <= length {
            hash = (hash ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01b3
            offset += 8
        }
        while offset < length {
            hash = (hash ^ UInt64(base.load(fromByteOffset: offset, as: UInt8.self))) &* 0x100_0000_01b3
            offset += 1
        }
        return hash
    }

    /// The tensor table of a safetensors file held in memory (what `init(path:)` reads after mapping it).
    public static func header(of bytes: UnsafeRawBufferPointer, path: String = "memory") throws(SafeTensorsError)
        -> (tensors: [String: TensorInfo], metadata: [String: String]) {
        guard let base = bytes.baseAddress, bytes.count >= 8 else {
            throw SafeTensorsError(file: path, "truncated: \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let (tensors, metadata, _) = try parseHeader(base: base, length: bytes.count, path: path)
        return (tensors, metadata)
    }

    private static func parseHeader(base: UnsafeRawPointer, length: Int, path: String)
        throws(SafeTensorsError) -> ([String: TensorInfo], [String: String], Int)
    {
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(maximumHeaderBytes) else {
            throw SafeTensorsError(file: path, "header length \(headerLength) is implausible (not a safetensors file?)")
        }
        guard 8 + Int(headerLength) <= length else {
            throw SafeTensorsError(file: path, "truncated: header of \(headerLength) bytes but the file has \(length)")
        }
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        let json: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
                throw SafeTensorsError(file: path, "header is not a JSON object")
            }
            json = object
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError(file: path, "header is not valid JSON")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = length - dataStart
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                for (key, item) in value as? [String: Any] ?? [:] { metadata[key] = item as? String }
                continue
            }
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [NSNumber], let offsets = entry["data_offsets"] as? [NSNumber],
                  offsets.count == 2
            else { throw SafeTensorsError(file: path, tensor: name, "header entry needs dtype, shape and two data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw SafeTensorsError(file: path, tensor: name, "unknown dtype \(dtypeName)")
            }
            let shape = shapeValues.map(\.intValue)
            let begin = offsets[0].intValue, end = offsets[1].intValue
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end else {
                throw SafeTensorsError(file: path, tensor: name, "invalid shape \(shape) or offsets [\(begin), \(end)]")
            }
            let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
                let product = partial.0.multipliedReportingOverflow(by: dimension)
                return (product.partialValue, partial.1 || product.overflow)
            }
            guard !overflow, elements.multipliedReportingOverflow(by: dtype.size).partialValue == end - begin else {
                throw SafeTensorsError(file: path, tensor: name,
                                       "shape \(shape) of \(dtypeName) needs \(elements * dtype.size) bytes, offsets give \(end - begin)")
            }
            guard end <= dataLength else {
                throw SafeTensorsError(file: path, tensor: name, "data [\(begin), \(end)) runs past the end of the file (truncated?)")
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, range: begin..<end)
        }
        let ordered = tensors.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw SafeTensorsError(file: path, tensor: next.name, "data overlaps tensor \(previous.name)")
        }
        return (tensors, metadata, dataStart)
    }
}
