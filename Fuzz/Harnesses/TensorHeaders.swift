import PedigreeKit

/// A safetensors file's header as the tensor readers read it, the input being the whole file:
/// what is accepted places every tensor inside the file, none overlapping another.
func fuzzSafetensors(_ data: [UInt8]) {
    guard let header = try? SafetensorsHeader.parse(bytes: data, fileSize: Int64(data.count)) else { return }
    checkPlacement(header.tensors, dataStart: header.dataStart, fileSize: Int64(data.count), format: "safetensors")
}

/// A GGUF file's header as the tensor readers read it, the input being the whole file.
func fuzzGGUF(_ data: [UInt8]) {
    guard let header = try? GGUFHeader.parse(bytes: data, fileSize: Int64(data.count)) else { return }
    checkPlacement(header.tensors, dataStart: header.dataStart, fileSize: Int64(data.count), format: "GGUF")
}

/// The property both readers promise: tensors lie in the data section and no two share a
/// byte (an empty tensor holds none, so it may start where another does).
private func checkPlacement(_ tensors: [TensorInfo], dataStart: Int64, fileSize: Int64, format: String) {
    for range in tensors.map(\.byteRange) {
        fuzzCheck(range.lowerBound >= dataStart && range.upperBound <= fileSize, "a \(format) tensor lies outside the file's data")
    }
    let ranges = tensors.map(\.byteRange).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
    for (a, b) in zip(ranges, ranges.dropFirst()) {
        fuzzCheck(b.lowerBound >= a.upperBound, "two \(format) tensors overlap")
    }
}
