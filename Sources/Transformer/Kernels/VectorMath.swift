/// Element-wise functions on SIMD vectors, for GELU, softmax and tanh, which
/// would otherwise be the slowest part of a forward pass (libm is scalar).
typealias FloatVector = SIMD16<Float>

enum VectorMath {
    /// e^x, relative error about 2e-7 over the float range (Cephes' expf polynomial).
    @inline(__always)
    static func exp(_ x: FloatVector) -> FloatVector {
        let clamped = x.clamped(lowerBound: FloatVector(repeating: -87.3), upperBound: FloatVector(repeating: 88.7))
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        // Cody-Waite: r = x - n·ln2 in two parts for precision.
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = FloatVector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let r2 = r * r
        let er = p * r2 + r + 1
        let exponent = (SIMD16<Int32>(n) &+ 127) &<< 23
        return er * unsafeBitCast(exponent, to: FloatVector.self)
    }

    /// erf(x), absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26).
    @inline(__always)
    static func erf(_ x: FloatVector) -> FloatVector {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var poly = FloatVector(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        poly = poly * t
        let y = 1 - poly * Self.exp(FloatVector.zero - a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// tanh(x) = 1 - 2 / (e^{2x} + 1), exact enough at both ends.
    @inline(__always)
    static func tanh(_ x: FloatVector) -> FloatVector {
        1 - 2 / (Self.exp(2 * x) + 1)
    }

    /// Applies `body` to `count` floats in place, 16 at a time; the tail is padded through a vector too.
    @inline(__always)
    static func map(_ values: UnsafeMutablePointer<Float>, count: Int, _ body: (FloatVector) -> FloatVector) {
        let width = FloatVector.scalarCount
        var index = 0
        let raw = UnsafeMutableRawPointer(values)
        while index + width <= count {
            let vector = raw.loadUnaligned(fromByteOffset: index * 4, as: FloatVector.self)
            raw.storeBytes(of: body(vector), toByteOffset: index * 4, as: FloatVector.self)
            index += width
        }
        if index < count {
            var tail = FloatVector(repeating: 0)
            for lane in 0..<(count - index) { tail[lane] = values[index + lane] }
            let result = body(tail)
            for lane in 0..<(count - index) { values[index + lane] = result[lane] }
        }
    }
}
