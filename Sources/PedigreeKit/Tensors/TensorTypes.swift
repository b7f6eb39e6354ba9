/// The element type of a tensor, across safetensors and GGUF.
///
/// Plain types carry safetensors' spelling (`F32`, `BF16`, …) and are shared by both formats, so
/// an F32 tensor of a GGUF file and one of a safetensors file have the same dtype. GGML's block
/// quantizations carry ggml's spelling (`Q8_0`, `Q4_K`, …). Every type is laid out in blocks:
/// `blockElements` elements stored in `blockBytes` bytes (1 and the element size for plain
/// types; 32 elements in 34 bytes for Q8_0). The GGML block table follows ggml's `type_traits`
/// (`ggml/src/ggml.c`, block structs in `ggml-common.h`); the tests compare it with gguf-py's
/// `GGML_QUANT_SIZES`.
public enum TensorDType: String, CaseIterable, Codable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case int16 = "I16"
    case uint16 = "U16"
    case int32 = "I32"
    case uint32 = "U32"
    case int64 = "I64"
    case uint64 = "U64"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float32 = "F32"
    case float64 = "F64"
    case float8E4M3 = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"
    case float8E8M0 = "F8_E8M0"
    /// FP4 (E2M1), two elements a byte.
    case float4 = "F4"
    /// FP6 (E2M3), four elements in three bytes.
    case float6E2M3 = "F6_E2M3"
    /// FP6 (E3M2), four elements in three bytes.
    case float6E3M2 = "F6_E3M2"
    case q4_0 = "Q4_0"
    case q4_1 = "Q4_1"
    case q5_0 = "Q5_0"
    case q5_1 = "Q5_1"
    case q8_0 = "Q8_0"
    case q8_1 = "Q8_1"
    case q2_K = "Q2_K"
    case q3_K = "Q3_K"
    case q4_K = "Q4_K"
    case q5_K = "Q5_K"
    case q6_K = "Q6_K"
    case q8_K = "Q8_K"
    case iq2_XXS = "IQ2_XXS"
    case iq2_XS = "IQ2_XS"
    case iq3_XXS = "IQ3_XXS"
    case iq1_S = "IQ1_S"
    case iq4_NL = "IQ4_NL"
    case iq3_S = "IQ3_S"
    case iq2_S = "IQ2_S"
    case iq4_XS = "IQ4_XS"
    case iq1_M = "IQ1_M"
    case tq1_0 = "TQ1_0"
    case tq2_0 = "TQ2_0"
    case mxfp4 = "MXFP4"
    case nvfp4 = "NVFP4"
    case q1_0 = "Q1_0"

    /// Elements in one block: 1 for plain types.
    public var blockElements: Int { layout.elements }

    /// Bytes one block takes in a file.
    public var blockBytes: Int { layout.bytes }

    /// Whether this is one of GGML's block quantizations (scales stored with the values).
    public var isBlockQuantized: Bool { layout.elements > 1 && !isSubByteFloat }

    /// Whether the element is an IEEE-style binary float pedigree decodes and casts
    /// (F64, F32, F16, BF16).
    public var isStandardFloat: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16: return true
        default: return false
        }
    }

    private var isSubByteFloat: Bool { self == .float4 || self == .float6E2M3 || self == .float6E3M2 }

    private var layout: (elements: Int, bytes: Int) {
        switch self {
        case .bool, .uint8, .int8, .float8E4M3, .float8E5M2, .float8E8M0: return (1, 1)
        case .int16, .uint16, .float16, .bfloat16: return (1, 2)
        case .int32, .uint32, .float32: return (1, 4)
        case .int64, .uint64, .float64: return (1, 8)
        case .float4: return (2, 1)
        case .float6E2M3, .float6E3M2: return (4, 3)
        case .q4_0: return (32, 2 + 16)
        case .q4_1: return (32, 2 + 2 + 16)
        case .q5_0: return (32, 2 + 4 + 16)
        case .q5_1: return (32, 2 + 2 + 4 + 16)
        case .q8_0: return (32, 2 + 32)
        case .q8_1: return (32, 4 + 4 + 32)
        case .q2_K: return (256, 2 + 2 + 256 / 16 + 256 / 4)
        case .q3_K: return (256, 2 + 256 / 4 + 256 / 8 + 12)
        case .q4_K: return (256, 2 + 2 + 256 / 2 + 12)
        case .q5_K: return (256, 2 + 2 + 256 / 2 + 256 / 8 + 12)
        case .q6_K: return (256, 2 + 256 / 2 + 256 / 4 + 256 / 16)
        case .q8_K: return (256, 4 + 256 + 256 / 8)
        case .iq2_XXS: return (256, 2 + 256 / 4)
        case .iq2_XS: return (256, 2 + 256 / 4 + 256 / 32)
        case .iq3_XXS: return (256, 2 + 256 / 4 + 256 / 8)
        case .iq1_S: return (256, 2 + 256 / 8 + 256 / 16)
        case .iq4_NL: return (32, 2 + 16)
        case .iq3_S: return (256, 2 + 256 / 4 + 256 / 8 + 256 / 32 + 4)
        case .iq2_S: return (256, 2 + 256 / 4 + 256 / 16)
        case .iq4_XS: return (256, 2 + 2 + 256 / 2 + 256 / 64)
        case .iq1_M: return (256, 256 / 8 + 256 / 16 + 256 / 32)
        case .tq1_0: return (256, 2 + 4 * 13)
        case .tq2_0: return (256, 2 + 64)
        case .mxfp4: return (32, 1 + 16)
        case .nvfp4: return (64, 4 + 32)
        case .q1_0: return (128, 2 + 16)
        }
    }

    /// The dtype of a safetensors `dtype` string; `nil` for one pedigree does not know.
    public init?(safetensorsName name: String) {
        guard let value = TensorDType(rawValue: name), !value.isBlockQuantized else { return nil }
        self = value
    }

    /// The dtype of a GGML type number (`enum ggml_type`); `nil` for a removed or unknown one.
    public init?(ggmlTypeID id: UInt32) {
        guard let value = Self.byGGMLID[id] else { return nil }
        self = value
    }

    /// The GGML type number, or `nil` for a type GGUF cannot hold (unsigned integers, FP8, …).
    public var ggmlTypeID: UInt32? {
        Self.ggmlIDs.first { $0.1 == self }?.0
    }

    private static let ggmlIDs: [(UInt32, TensorDType)] = [
        (0, .float32), (1, .float16), (2, .q4_0), (3, .q4_1), (6, .q5_0), (7, .q5_1), (8, .q8_0), (9, .q8_1),
        (10, .q2_K), (11, .q3_K), (12, .q4_K), (13, .q5_K), (14, .q6_K), (15, .q8_K), (16, .iq2_XXS),
        (17, .iq2_XS), (18, .iq3_XXS), (19, .iq1_S), (20, .iq4_NL), (21, .iq3_S), (22, .iq2_S), (23, .iq4_XS),
        (24, .int8), (25, .int16), (26, .int32), (27, .int64), (28, .float64), (29, .iq1_M), (30, .bfloat16),
        (34, .tq1_0), (35, .tq2_0), (39, .mxfp4), (40, .nvfp4), (41, .q1_0),
    ]

    private static let byGGMLID: [UInt32: TensorDType] = Dictionary(uniqueKeysWithValues: ggmlIDs)
}

/// A tensor's shape in row-major order (slowest-varying dimension first, as numpy and
/// safetensors write it), with its element count computed without overflow.
///
/// GGUF lists dimensions fastest-varying first (`ne[0]` is the length of a row); the GGUF reader
/// reverses them, so a GGUF `[64, 128]` (ne0 = 64) is the shape `[128, 64]` here, the shape of
/// the numpy array it was written from. A shape of no dimensions is a scalar (one element).
public struct TensorShape: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The dimensions, slowest-varying first; each at most `Int64.max`.
    public let dims: [Int64]
    /// The product of the dimensions (1 for a scalar), known to fit in `Int64`.
    public let elementCount: Int64

    /// A shape from row-major dimensions; `nil` when a dimension is negative or the element count
    /// does not fit in 63 bits.
    public init?(_ dims: [Int64]) {
        var count: Int64 = 1
        for dim in dims {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        // A zero dimension makes the product 0 whatever follows, but every later dimension must
        // still be in range on its own, which the loop checked.
        self.dims = dims
        self.elementCount = count
    }

    /// The length of a row: the last (fastest-varying) dimension, 1 for a scalar.
    public var rowLength: Int64 { dims.last ?? 1 }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let dims = try container.decode([Int64].self)
        guard let shape = TensorShape(dims) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "shape \(dims) overflows or has a negative dimension")
        }
        self = shape
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dims)
    }
}

/// The container format of a weights file.
public enum WeightFormat: String, Codable, Sendable {
    case safetensors
    case gguf
}

/// One tensor of a weights file, as its header declares it and pedigree checked it: the bytes
/// lie inside the file, after the header, overlapping no other tensor, and their count is what
/// the dtype and shape make.
public struct TensorInfo: Hashable, Sendable {
    public let name: String
    public let dtype: TensorDType
    public let shape: TensorShape
    /// The tensor's bytes as absolute offsets in the file.
    public let byteRange: Range<Int64>

    public init(name: String, dtype: TensorDType, shape: TensorShape, byteRange: Range<Int64>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// The number of bytes the tensor takes.
    public var byteCount: Int64 { byteRange.upperBound - byteRange.lowerBound }
}

extension TensorDType {
    /// The bytes `shape` takes in this dtype, or `nil` when the count overflows or the row is
    /// not a whole number of blocks.
    ///
    /// Block-quantized types need every row (the last dimension) to be whole blocks, as ggml
    /// requires of `ne[0]`; sub-byte floats need the whole tensor to end on a byte, as
    /// safetensors requires.
    public func byteCount(of shape: TensorShape) -> Int64? {
        let elements = Int64(blockElements)
        if isBlockQuantized {
            guard shape.rowLength % elements == 0 else { return nil }
        } else {
            guard shape.elementCount % elements == 0 else { return nil }
        }
        let (bytes, overflow) = (shape.elementCount / elements).multipliedReportingOverflow(by: Int64(blockBytes))
        return overflow ? nil : bytes
    }
}
