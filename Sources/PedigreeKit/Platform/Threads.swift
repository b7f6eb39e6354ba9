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

/// A second thread kept for as long as its owner holds it, running one piece of work at a time
/// beside the caller's thread (`alongside`).
///
/// For work that comes in many small pieces (a walk's large folders, one after another): each
/// piece costs a hand-over through a lock, not a thread's creation. The thread ends when the
/// helper goes.
final class HelperThread: Sendable {
    /// What the thread is told: run a piece of work, or end.
    private enum Order: Sendable {
        case run(@Sendable () -> Void)
        case stop
    }

    private let orders: BoundedChannel<Order>
    /// `nil` when the system could not create the thread: pieces then run on the caller's.
    private let thread: JoinableThread?

    init() {
        let orders = BoundedChannel<Order>(capacity: 1)
        self.orders = orders
        thread = startJoinableThread {
            while case .run(let body) = orders.receive() { body() }
        }
    }

    deinit {
        guard let thread else { return }
        orders.send(.stop)
        thread.join()
    }

    /// Runs `there` on the helper while `here` runs on the caller's thread, and returns both
    /// results once both are done (without a helper thread, `there` runs after `here`).
    func alongside<There: Sendable, Here>(
        _ there: @escaping @Sendable () -> There, _ here: () -> Here
    ) -> (there: There, here: Here) {
        guard thread != nil else {
            let mine = here()
            return (there(), mine)
        }
        let theirs = start(there)
        let mine = here()
        return (theirs.value(), mine)
    }

    /// Starts `work` on the helper, after whatever it was given before, and returns at once
    /// (without a helper thread, `work` runs now).
    func start<Value: Sendable>(_ work: @escaping @Sendable () -> Value) -> Pending<Value> {
        let result = BoundedChannel<Value>(capacity: 1)
        if thread == nil {
            result.send(work())
        } else {
            orders.send(.run { result.send(work()) })
        }
        return Pending(result: result)
    }
}

/// The value of work started on a `HelperThread`.
struct Pending<Value: Sendable>: Sendable {
    fileprivate let result: BoundedChannel<Value>

    /// Waits for the value. Asked once: a second call would wait for ever.
    func value() -> Value { result.receive() }
}

/// A value guarded by a POSIX mutex, with a condition to wait on.
///
/// Not `Synchronization.Mutex`: on Linux that is a futex inside the (uninstrumented) standard
/// library, so ThreadSanitizer cannot see it order anything and reports every access it
/// guards as a race; `pthread_mutex_t` and `pthread_cond_t` it understands.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is read and written only inside `withLock`, with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits until `ready` holds for the value, then runs `body` with it, the lock held
    /// throughout.
    func withLock<Result>(when ready: (Value) -> Bool, _ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !ready(value) { pthread_cond_wait(changed, mutex) }
        return body(&value)
    }

    /// Changes the value and wakes every thread waiting in `withLock(when:_:)`.
    func update(_ body: (inout Value) -> Void) {
        pthread_mutex_lock(mutex)
        body(&value)
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }
}

/// A queue between threads that holds at most `capacity` elements: `receive` waits for one,
/// `send` never waits (its callers never hold more than `capacity` in flight).
///
/// The lock around the queue is also what makes whatever the sender wrote before `send`
/// visible to the receiver after `receive`.
final class BoundedChannel<Element: Sendable>: Sendable {
    private let queue: Locked<[Element]>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        var storage: [Element] = []
        storage.reserveCapacity(capacity)
        queue = Locked(storage)
    }

    /// Adds `element` at the end.
    func send(_ element: Element) {
        queue.update { $0.append(element) }
    }

    /// Takes the first element, waiting until there is one.
    func receive() -> Element {
        // Waited for until not empty, so there is a first element to remove.
        queue.withLock(when: { !$0.isEmpty }) { $0.removeFirst() }
    }

    /// Takes the first element if there is one, without waiting.
    func tryReceive() -> Element? {
        queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// Runs `other` on a new thread while `body` runs on the caller's, and returns both results
/// once both are done: two independent pieces of work on two cores.
///
/// With one processor, or when no thread can be started, `other` runs on the caller's thread
/// after `body`. `other` still runs, and is waited for, when `body` throws.
func inParallel<Other: Sendable, Result, Failure: Error>(
    _ other: @escaping @Sendable () -> Other, while body: () throws(Failure) -> Result
) throws(Failure) -> (other: Other, result: Result) {
    let finished = Locked<[Other]>([])
    let thread = availableProcessors() > 1 ? startJoinableThread({
        let value = other()
        finished.update { $0.append(value) }
    }) : nil
    let outcome: Swift.Result<Result, Failure>
    do throws(Failure) {
        outcome = .success(try body())
    } catch {
        outcome = .failure(error)
    }
    thread?.join()
    let value = finished.withLock { $0.first } ?? other()
    return (value, try outcome.get())
}

/// The start of memory whose disjoint parts several threads fill, each its own part, before
/// the threads are joined (see `StatementCodec.encode`).
struct SharedPointer<Element>: @unchecked Sendable {
    // @unchecked: the threads given it write disjoint elements, and are joined before anyone reads them.
    let base: UnsafeMutablePointer<Element>
}
