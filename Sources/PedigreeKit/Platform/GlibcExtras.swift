// What glibc offers beyond Swift's Glibc module, reached through the C shim of CSQLite (which
// already brings in statfs(2)): the allocator's settings and early writeback.
#if canImport(Glibc)
internal import CSQLite  // its shim brings in <malloc.h> and declares sync_file_range(2)
import Glibc
#endif

/// The C allocator's settings for the process.
public enum Allocator {
    /// Blocks up to this size come from (and go back to) the allocator's heap.
    static let keptBlockBytes: Int32 = 32 << 20
    /// Free memory at the heap's top returned to the system only beyond this.
    static let trimBytes: Int32 = 64 << 20

    /// Makes freed blocks of up to 32 MiB available for reuse rather than handing them back.
    ///
    /// A sign builds and drops several lists the size of the folder's file list (the walk's,
    /// the names and jobs, the results, the digest cache's look-up): glibc maps a block of
    /// 128 KiB or more afresh and unmaps it when freed, so every such list's pages are faulted
    /// in and zeroed again — about 6,000 page faults and a tenth of the time of a re-sign of
    /// 20,000 files. Kept in the heap, the next list reuses them. The peak grows a little (a
    /// 200,000-file sign: 109 → 112 MiB); `verify`, which frees differently, does not use it.
    /// Without glibc, nothing changes.
    public static func keepLargeBlocks() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, keptBlockBytes)
        _ = mallopt(M_TRIM_THRESHOLD, trimBytes)
        #endif
    }
}

#if os(Linux)
/// Starts writing back to the disk the `count` bytes of the file open as `fd` from `offset`,
/// without waiting (`sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE`); an error is ignored,
/// since the `fsync` that follows reports any error of the data.
func startWriteback(_ fd: Int32, from offset: Int64, count: Int64) {
    _ = pedigree_start_writeback(fd, offset, count)
}
#endif
