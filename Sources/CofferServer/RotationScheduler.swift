import CofferServices
import Logging
import Synchronization

/// Runs rotations: the ones RotateSecret accepted, at once, and every `interval` seconds the ones
/// due (schedules, retries, rotations whose node died), found through the store's index on the
/// next rotation time, so a tick with nothing due costs one index probe. Any number of nodes may
/// run one: a rotation is claimed by a conditional write, so each runs on one node at a time.
final class RotationScheduler: Sendable {
    private enum Work: Sendable {
        case tick
        case accepted(RotationService.Accepted)
    }

    private let work: AsyncStream<Work>.Continuation
    private let task: Task<Void, Never>
    /// Accepted rotations run at most this many at once; more wait their turn.
    static let concurrency = 8

    init(service: RotationService, interval: Double, logger: Logger) {
        let (stream, work) = AsyncStream<Work>.makeStream()
        self.work = work
        task = Task {
            // A timer feeds the same stream, so one loop serves ticks and accepted rotations alike.
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    work.yield(.tick)
                }
            }
            defer { ticker.cancel() }
            work.yield(.tick)
            // One tick at a time, beside the accepted rotations: a slow function in a due batch
            // does not hold up a rotation RotateSecret just accepted.
            let ticking = Gate()
            // Child tasks answer whether they were an accepted rotation (counted against the limit).
            await withTaskGroup(of: Bool.self) { group in
                var running = 0
                for await item in stream {
                    if Task.isCancelled { break }
                    switch item {
                    case .accepted(let accepted):
                        while running >= Self.concurrency, let finished = await group.next() {
                            if finished { running -= 1 }
                        }
                        running += 1
                        group.addTask {
                            await service.runAccepted(accepted)
                            return true
                        }
                    case .tick:
                        guard ticking.enter() else { continue }
                        group.addTask {
                            defer { ticking.leave() }
                            do {
                                let began = ContinuousClock.now
                                // Keep going while a full batch came back: more may be due.
                                while try await service.runDue() >= 256, !Task.isCancelled {}
                                let elapsed = (ContinuousClock.now - began).components
                                // Read by bench/rotation_bench.py: what a tick costs.
                                logger.trace("rotation tick", metadata: ["microseconds": "\(elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000)"])
                            } catch {
                                logger.error("rotation scheduler tick failed")
                            }
                            return false
                        }
                    }
                }
                group.cancelAll()
            }
        }
    }

    func run(_ accepted: RotationService.Accepted) {
        guard accepted.job != nil else { return }
        work.yield(.accepted(accepted))
    }

    func stop() {
        work.finish()
        task.cancel()
    }
}

/// Lets one holder in at a time, without waiting: a second tick while one runs is skipped.
final class Gate: Sendable {
    private let busy = Mutex(false)
    func enter() -> Bool { busy.withLock { taken in defer { taken = true }; return !taken } }
    func leave() { busy.withLock { $0 = false } }
}
