import Synchronization

/// A count of bytes hashed so far, shared between the hashing threads and a progress display.
public final class ByteCounter: Sendable {
    private let value = Atomic<Int64>(0)

    public init() {}

    /// Adds `count` bytes.
    public func add(_ count: Int64) { value.add(count, ordering: .relaxed) }

    /// The bytes counted so far.
    public var total: Int64 { value.load(ordering: .relaxed) }
}
