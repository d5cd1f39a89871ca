/// LayerNorm over the last dimension, in place:
///
///     values: (rows, width)
///     gamma, beta: (width)
func layerNorm(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int,
               gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float) {
    for row in 0..<rows {
        let x = values + row * width
        var sum: Float = 0
        for index in 0..<width { sum += x[index] }
        let mean = sum / Float(width)
        var squares: Float = 0
        for index in 0..<width {
            let centred = x[index] - mean
            squares += centred * centred
        }
        let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
        for index in 0..<width {
            x[index] = (x[index] - mean) * scale * gamma[index] + beta[index]
        }
    }
}

/// Softmax of each row, in place: (rows, width).
func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let x = values + row * width
        var maximum = -Float.infinity
        for index in 0..<width { maximum = max(maximum, x[index]) }
        VectorMath.map(x, count: width) { VectorMath.exp($0 - maximum) }
        var sum: Float = 0
        for index in 0..<width { sum += x[index] }
        let inverse = 1 / sum
        for index in 0..<width { x[index] *= inverse }
    }
}
