#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of processors this process may run on.
public func availableProcessors() -> Int {
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body(0)`…`body(count - 1)` on `count` threads (the caller's among them) and
/// returns when all have finished.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    var threads: [pthread_t] = []
    for index in 1..<count {
        let box = Unmanaged.passRetained(ThreadBody { body(index) }).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            box.run()
            return nil
        }, box)
        if rc != 0 {
            // No thread: run its share here instead.
            Unmanaged<ThreadBody>.fromOpaque(box).takeRetainedValue().run()
        } else {
            threads.append(thread)
        }
    }
    body(0)
    for thread in threads { pthread_join(thread, nil) }
}

/// A POSIX counting semaphore (`sem_t`), which, unlike a dispatch semaphore, may be
/// released with any count left.
final class CountingSemaphore: @unchecked Sendable {
    private let semaphore: UnsafeMutablePointer<sem_t>

    init(_ value: Int) {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, UInt32(value))
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Takes one unit, waiting until one is available.
    func wait() {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }

    /// Gives back one unit.
    func signal() { sem_post(semaphore) }
}
