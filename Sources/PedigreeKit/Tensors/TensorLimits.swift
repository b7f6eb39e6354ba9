extension Limits {
    /// The largest safetensors JSON header read: the reference reader's own cap
    /// (`MAX_HEADER_SIZE` = 100,000,000 bytes in `safetensors/src/tensor.rs`).
    public static let safetensorsHeaderBytes: UInt64 = 100_000_000

    /// The largest GGUF header (metadata and tensor infos) read. A 256k-token vocabulary with
    /// its merges takes about 10 MB; the cap leaves room for six times that while keeping the
    /// parsed metadata (at most a few times its size in memory) small.
    public static let ggufHeaderBytes: UInt64 = 64 << 20

    /// The deepest nesting of GGUF metadata arrays read (arrays of arrays of …).
    public static let ggufArrayDepth = 8

    /// The longest GGUF tensor name: 64 bytes, as `docs/gguf.md` specifies.
    public static let ggufTensorNameBytes: UInt64 = 64

    /// The longest GGUF metadata key: 65,535 bytes, as `docs/gguf.md` specifies.
    public static let ggufKeyBytes: UInt64 = 65_535

    /// The most dimensions a GGUF tensor may have (`GGML_MAX_DIMS`).
    public static let ggufDimensions: UInt32 = 4

    /// The largest `model.safetensors.index.json` or `adapter_config.json` read.
    public static let tensorSidecarBytes: Int64 = 64 << 20
}
