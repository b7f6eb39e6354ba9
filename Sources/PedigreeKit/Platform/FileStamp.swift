#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if os(Linux)
internal import CSQLite  // statfs(2): see Sources/CSQLite/shim.h
#endif

/// A time as a file system records it: seconds and nanoseconds since the epoch.
public struct StampTime: Hashable, Comparable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(_ time: timespec) {
        seconds = Int64(time.tv_sec)
        nanoseconds = Int64(time.tv_nsec)
    }

    /// The system's real-time clock now (the clock the kernel stamps files with).
    public static func now() -> StampTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return StampTime(time)
    }

    /// This time moved back by `nanoseconds` (at most a few seconds).
    func minus(nanoseconds delta: Int64) -> StampTime {
        var seconds = self.seconds - delta / 1_000_000_000
        var nanoseconds = self.nanoseconds - delta % 1_000_000_000
        if nanoseconds < 0 {
            nanoseconds += 1_000_000_000
            seconds -= 1
        }
        return StampTime(seconds: seconds, nanoseconds: nanoseconds)
    }

    public static func < (a: StampTime, b: StampTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// One state of one file: which file it is (file system, device, inode) and the size and times
/// that move whenever its content does.
///
/// The change time (ctime) carries the proof. The kernel sets it to the current time on every
/// write, truncation, `utimes` (so `touch -d` restoring an old mtime still moves it), rename and
/// link-count change, and no unprivileged call can set it. Two stamps of one inode are equal
/// only if no such event happened between them — provided the file system keeps a true ctime,
/// which is why a stamp exists only for file systems known to (see `keepsChangeTime`).
public struct FileStamp: Hashable, Sendable {
    /// The file system's id (`statfs.f_fsid`), which a reused device number does not share.
    public var fileSystem: UInt64
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modified: StampTime
    public var changed: StampTime

    public init(fileSystem: UInt64, device: UInt64, inode: UInt64, size: Int64, modified: StampTime, changed: StampTime) {
        self.fileSystem = fileSystem
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.changed = changed
    }

    /// The stamp of the open regular file `fd`; `nil` when it is not a regular file, the calls
    /// fail, or its file system is not known to keep a true change time.
    public init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        guard let fileSystem = Self.fileSystemID(fd) else { return nil }
        self.fileSystem = fileSystem
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        #if canImport(Glibc)
        modified = StampTime(st.st_mtim)
        changed = StampTime(st.st_ctim)
        #else
        modified = StampTime(st.st_mtimespec)
        changed = StampTime(st.st_ctimespec)
        #endif
    }

    /// The stamp a directory listing gives for the regular file `status` describes, found in a
    /// folder of the file system `fileSystem` (see `listingContext(ofDirectory:)`).
    ///
    /// `nil` unless the file is regular and on the folder's own device: a file bind-mounted over
    /// a name has the device of another file system, whose id the folder's `statfs` does not give.
    init?(listed status: FileStatus, in folder: ListingContext) {
        guard status.kind == .regular, status.device == folder.device else { return nil }
        fileSystem = folder.fileSystem
        device = status.device
        inode = status.inode
        size = status.size
        modified = StampTime(status.modified)
        changed = StampTime(status.changed)
    }

    /// What a folder's files share in their stamps: the device and file system id of the folder.
    struct ListingContext: Sendable {
        var device: UInt64
        var fileSystem: UInt64
    }

    /// The stamp context of the open folder `fd`; `nil` when its file system is not known to keep
    /// a true change time (its files then get no stamp, and no cached digest).
    static func listingContext(ofDirectory fd: Int32) -> ListingContext? {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, let fileSystem = fileSystemID(fd) else { return nil }
        return ListingContext(device: UInt64(st.st_dev), fileSystem: fileSystem)
    }

    /// How long before the start of a run a file's last change must lie for its digest to be
    /// remembered: one tick of the coarse clock the kernel stamps files with, with room to spare,
    /// or two seconds on a file system that keeps whole seconds only (nanoseconds all zero).
    ///
    /// A write in the same tick as the stamp would leave every field as it was ("racy git"); a
    /// write after the run started always gets a later change time than a remembered stamp's.
    var settleNanoseconds: Int64 {
        changed.nanoseconds == 0 && modified.nanoseconds == 0 ? 2_000_000_000 : 100_000_000
    }

    /// The id of the file system holding `fd`, if it keeps a true ctime.
    static func fileSystemID(_ fd: Int32) -> UInt64? {
        #if os(Linux)
        var fs = statfs()
        guard fstatfs(fd, &fs) == 0, keepsChangeTime(Int64(fs.f_type)) else { return nil }
        let (high, low) = fs.f_fsid.__val
        return UInt64(UInt32(bitPattern: high)) << 32 | UInt64(UInt32(bitPattern: low))
        #else
        // Not yet vetted elsewhere: no stamp, so no cached digest.
        return nil
        #endif
    }

    /// Whether the file system with this `statfs.f_type` maintains ctime itself on every change.
    ///
    /// Local Linux file systems and NFS (whose server keeps ctime) are on the list; FUSE, FAT,
    /// exFAT, NTFS and SMB are not: there ctime is another file system's claim, a creation time,
    /// or settable by a client.
    static func keepsChangeTime(_ type: Int64) -> Bool {
        trustedFileSystems.contains(type)
    }

    /// The `statfs.f_type` magic numbers of `keepsChangeTime`.
    private static let trustedFileSystems: Set<Int64> = [
        0xEF53,  // ext2, ext3, ext4
        0x5846_5342,  // xfs
        0x9123_683E,  // btrfs
        0x0102_1994,  // tmpfs
        0xF2F5_2010,  // f2fs
        0x2FC1_2FC1,  // zfs
        0x794C_7630,  // overlayfs
        0xCA45_1A4E,  // bcachefs
        0x3153_464A,  // jfs
        0x5265_4973,  // reiserfs
        0x7371_7368,  // squashfs (read-only)
        0xE0F5_E1E2,  // erofs (read-only)
        0x6969,  // nfs
    ]
}
