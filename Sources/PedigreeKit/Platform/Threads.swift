#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The number of processors this process may run on.
public func availableProcessors() -> Int {
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

private final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// A thread that was started and must be joined.
struct JoinableThread {
    fileprivate let thread: pthread_t

    /// Waits until the thread's body has returned.
    func join() { pthread_join(thread, nil) }
}

/// Starts `body` on a new thread to be joined; `nil` when the system cannot create one.
func startJoinableThread(_ body: @escaping @Sendable () -> Void) -> JoinableThread? {
    startThread(body).map(JoinableThread.init)
}

/// Starts `body` on a new thread; `nil` when the system cannot create one.
private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        // pthread_create passes back the box given below, which is never nil.
        guard let raw else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        return nil
    }
    return thread
}

/// Runs `body(0)`…`body(count - 1)` on `count` threads (the caller's among them) and
/// returns when all have finished. A share whose thread cannot be created runs on the
/// caller's thread, so the bodies must not wait for one another.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    var threads: [pthread_t] = []
    var inline: [Int] = [0]
    for index in 1..<max(count, 1) {
        if let thread = startThread({ body(index) }) {
            threads.append(thread)
        } else {
            inline.append(index)
        }
    }
    if count >= 1 { inline.forEach(body) }
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

/// A queue between threads that holds at most `capacity` elements: `receive` waits for one,
/// `send` never waits (its callers never hold more than `capacity` in flight).
///
/// The lock around the queue is also what makes whatever the sender wrote before `send`
/// visible to the receiver after `receive`.
final class BoundedChannel<Element: Sendable>: Sendable {
    private let queue: Mutex<[Element]>
    private let available = CountingSemaphore(0)
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        queue = Mutex([])
        queue.withLock { $0.reserveCapacity(capacity) }
    }

    /// Adds `element` at the end.
    func send(_ element: Element) {
        queue.withLock { $0.append(element) }
        available.signal()
    }

    /// Takes the first element, waiting until there is one.
    func receive() -> Element {
        available.wait()
        // Each unit of `available` stands for one element sent, so the queue is not empty.
        return queue.withLock { $0.removeFirst() }
    }
}
