import Synchronization

/// A count of bytes hashed so far, shared between the hashing threads and a progress display.
public final class ByteCounter: Sendable {
    private let value = Atomic<Int64>(0)
    private let expectedValue = Atomic<Int64>(0)

    public init() {}

    /// Adds `count` bytes.
    public func add(_ count: Int64) { value.add(count, ordering: .relaxed) }

    /// The bytes counted so far.
    public var total: Int64 { value.load(ordering: .relaxed) }

    /// Adds `count` bytes to the work announced: the hash engine announces the listed sizes of
    /// the files it is about to read, so a display can show bytes done of bytes to do.
    public func expect(_ count: Int64) { expectedValue.add(count, ordering: .relaxed) }

    /// The bytes announced so far (0 when nothing was announced).
    public var expected: Int64 { expectedValue.load(ordering: .relaxed) }
}
