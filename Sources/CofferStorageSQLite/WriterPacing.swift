import Dispatch
import Foundation
import Synchronization

/// Paces the writer's work on records of reads (chaining them, committing them, checkpointing the
/// WAL) into short runs with pauses between them, where the event loops share a core with it.
///
/// Under a read load the event loop never blocks, so the kernel takes the core from the writer only
/// at a scheduler tick (4 ms at 250 Hz) or when it blocks: every request in flight waited behind the
/// writer's whole run, 1-2 ms of chaining, page writes or checkpoint copying, about 20 times a
/// second, and that was the read p99 (2.4 ms against 0.66 with no writer). A `sched_yield` did not
/// help: the loop then kept the core to the next tick, the writer fell behind and chained straight
/// through. A pause is a sleep instead: its timer wakes the writer on time, so it gets a steady share
/// in runs of at most ``runLimit``.
///
/// Only batches with nothing but staged records are paced: a write that waits (``urgent``) and a
/// chain that has fallen behind (``behind``) are worked through without pauses.
final class WriterPacing: @unchecked Sendable {
    /// How long the writer works before it pauses. Each pause costs two context switches: 300 us
    /// answered 2.9% more reads a second than 150 us, at a p99 of 0.98 ms against 0.88.
    static let runLimit: UInt64 = 300_000
    /// How long it pauses: at most a quarter of the core's time, which chains about 90,000 records a
    /// second here (a record costs about 2.7 us of the writer's time), more than twice the read rate.
    static let pause: UInt32 = 900
    /// How old the oldest record of a batch may be before the batch is chained without pauses.
    static let lagLimit: TimeInterval = 0.1

    /// A write other than chaining waits for the writer: set under the queue's lock as it is queued.
    let urgent = Atomic<Bool>(false)
    /// The batch's records have waited longer than ``lagLimit``; only touched on the writer's queue.
    var behind = false
    /// When the writer's current run began (monotonic nanoseconds); only touched on the writer's queue.
    private var runStart: UInt64 = 0

    private static let current: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Pacing applies on this thread (the writer's queue) until ``end()``.
    func begin() {
        behind = false
        runStart = DispatchTime.now().uptimeNanoseconds
        pthread_setspecific(Self.current, Unmanaged.passUnretained(self).toOpaque())
    }

    static func end() {
        pthread_setspecific(current, nil)
    }

    /// The pacing that applies on this thread, if any.
    private static var active: WriterPacing? {
        pthread_getspecific(current).map { Unmanaged<WriterPacing>.fromOpaque($0).takeUnretainedValue() }
    }

    /// A place where the writer may pause: between slices of records and before each page it writes.
    static func point() {
        active?.pauseIfDue()
    }

    /// The writer was blocked (a sync): a new run begins.
    static func resumed() {
        active?.runStart = DispatchTime.now().uptimeNanoseconds
    }

    /// What the writer does at a pacing point after working `run` nanoseconds since its run began.
    enum Step: Equatable {
        case work
        case pause
        /// Go on without a pause, counting a new run from here (a write waits, or the chain is behind).
        case restart
    }

    static func step(run: UInt64, behind: Bool, urgent: Bool) -> Step {
        guard run >= runLimit else { return .work }
        return behind || urgent ? .restart : .pause
    }

    /// Pauses taken so far (for tests and diagnosis).
    let pauses = Atomic<Int>(0)

    private func pauseIfDue() {
        switch Self.step(run: DispatchTime.now().uptimeNanoseconds &- runStart, behind: behind, urgent: urgent.load(ordering: .relaxed)) {
        case .work:
            return
        case .pause:
            usleep(Self.pause)
            pauses.add(1, ordering: .relaxed)
        case .restart:
            break
        }
        runStart = DispatchTime.now().uptimeNanoseconds
    }
}
