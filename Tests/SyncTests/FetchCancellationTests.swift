import Foundation
import Sources
import Storage
import Testing
import VigilTestSupport

/// A cancelled fetch stops retrying at once: no request after the cancellation, and no backoff slept out.
@Suite struct FetchCancellationTests {
    @Test("a fetch cancelled while it backs off from a 503 ends as cancelled and sends no further request",
          .timeLimit(.minutes(1)))
    func cancelledDuringBackoff() async throws {
        let mirror = try ProviderMirror.cisa()
        mirror.fault("provider-metadata.json", .status(503))
        try await mirror.run { mirror in
            var policy = FetchPolicy()
            // Retries enough to go on for hours: only the cancellation can end this fetch within the time limit.
            policy.attempts = 10
            policy.backoff = 3600
            let url = mirror.metadataURL
            try await HTTPFetcher.with(policy: policy) { fetcher in
                let fetch = Task { () -> FetchFailure? in
                    do throws(FetchFailure) {
                        _ = try await fetcher.get(url, maxBytes: 1 << 20, expectJSON: true)
                        return nil
                    } catch {
                        return error
                    }
                }
                // The first request is answered with 503; the fetcher now waits to try again.
                while mirror.log.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                let sentBeforeCancelling = mirror.log.count
                fetch.cancel()
                let failure = await fetch.value
                #expect(failure?.kind == .cancelled, "\(String(describing: failure))")
                #expect(sentBeforeCancelling == 1)
                #expect(mirror.log.count == sentBeforeCancelling, "requests after the cancellation: \(mirror.log)")
            }
        }
    }

    @Test("a fetch started in a cancelled task sends nothing")
    func cancelledBeforeStarting() async throws {
        let mirror = try ProviderMirror.cisa()
        try await mirror.run { mirror in
            let url = mirror.metadataURL
            try await HTTPFetcher.with { fetcher in
                let fetch = Task { () -> FetchFailure? in
                    withUnsafeCurrentTask { $0?.cancel() }
                    do throws(FetchFailure) {
                        _ = try await fetcher.get(url, maxBytes: 1 << 20, expectJSON: true)
                        return nil
                    } catch {
                        return error
                    }
                }
                #expect(await fetch.value?.kind == .cancelled)
                #expect(mirror.log.isEmpty)
            }
        }
    }
}
