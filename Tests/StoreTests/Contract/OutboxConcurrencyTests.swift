import Foundation
import Storage
import Store
import Testing
import VigilTestSupport

/// Two nodes on one PostgreSQL database, as two store instances with their own pools: what one claims, consumes or
/// creates, the other never does too.
@Suite("PostgreSQL: nodes delivering, signing in and alerting at once")
struct PostgresOutboxConcurrencyTests {
    /// Two stores (two "nodes") on one new database.
    func withTwoNodes(_ body: (PostgresStore, PostgresStore) async throws -> Void) async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let first = try await PostgresStore(url: url)
        let second = try await PostgresStore(url: url)
        do {
            try await body(first, second)
        } catch {
            await first.close()
            await second.close()
            throw error
        }
        await first.close()
        await second.close()
    }

    @Test("two dispatchers claiming at once claim every delivery exactly once")
    func concurrentClaims() async throws {
        try await withTwoNodes { first, second in
            let plant = try await Contract.organisation(first, "Plant")
            let channel = try await first.addChannel(Contract.email("ops"), organisationID: plant.id)
            let now = Contract.epoch
            var queued: Set<Int64> = []
            for _ in 0..<200 { queued.insert(try await first.enqueueTest(channelID: channel.id, organisationID: plant.id, now: now)) }

            // Each node runs four claimers, as a dispatcher's concurrent passes would, until nothing is left.
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for node in [first, second] {
                    for _ in 0..<4 {
                        group.addTask {
                            var mine: [Int64] = []
                            while true {
                                let batch = try await node.claimDeliveries(now: now, lease: 300, limit: 7, only: nil)
                                if batch.isEmpty { return mine }
                                mine += batch.map(\.id)
                            }
                        }
                    }
                }
                var all: [[Int64]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let claimed = claims.flatMap { $0 }
            #expect(claimed.count == 200)
            #expect(Set(claimed) == queued)
            // Every claim counted one attempt: no row was claimed twice.
            let outbox = try await Contract.outbox(first, plant)
            #expect(outbox.allSatisfy { $0.status == .sending && $0.attempts == 1 })
        }
    }

    @Test("an expired lease is reclaimed by one node only")
    func concurrentReclaim() async throws {
        try await withTwoNodes { first, second in
            let plant = try await Contract.organisation(first, "Plant")
            let channel = try await first.addChannel(Contract.email("ops"), organisationID: plant.id)
            let now = Contract.epoch
            for _ in 0..<50 { _ = try await first.enqueueTest(channelID: channel.id, organisationID: plant.id, now: now) }
            #expect(try await first.claimDeliveries(now: now, lease: 60, limit: 100, only: nil).count == 50)
            let later = now.addingTimeInterval(60)
            async let a = first.claimDeliveries(now: later, lease: 60, limit: 100, only: nil)
            async let b = second.claimDeliveries(now: later, lease: 60, limit: 100, only: nil)
            let (one, two) = try await (a, b)
            #expect(one.count + two.count == 50 && Set(one.map(\.id)).isDisjoint(with: two.map(\.id)))
            #expect((one + two).allSatisfy { $0.attempts == 2 })
        }
    }

    @Test("a one-time token consumed by two requests at once is used once")
    func concurrentTokenUse() async throws {
        try await withTwoNodes { first, second in
            let now = Contract.epoch
            let user = try await first.createUser(.init(email: "a@example.org", displayName: ""), now: now)
            for round in 0..<10 {
                try await first.createOneTimeToken(OneTimeToken(hash: "h\(round)", purpose: .invitation, userID: user.id, createdAt: now,
                                                                expiresAt: now.addingTimeInterval(3600)))
                let results = try await withThrowingTaskGroup(of: OneTimeToken?.self) { group in
                    for node in [first, second, first, second] {
                        group.addTask { try await node.consumeOneTimeToken(hash: "h\(round)", purpose: .invitation, now: now) }
                    }
                    var all: [OneTimeToken?] = []
                    for try await result in group { all.append(result) }
                    return all
                }
                #expect(results.compactMap { $0 }.count == 1, "round \(round)")
            }
        }
    }

    @Test("two sign-ups with one email (in any case) at once make one user; the other is told it exists")
    func concurrentSignUps() async throws {
        try await withTwoNodes { first, second in
            for round in 0..<10 {
                let results = await withTaskGroup(of: Result<UserAccount, any Error>.self) { group in
                    for (node, email) in [(first, "ops\(round)@example.org"), (second, "OPS\(round)@example.org")] {
                        group.addTask {
                            do { return .success(try await node.createUser(.init(email: email, displayName: ""), now: Contract.epoch)) }
                            catch { return .failure(error) }
                        }
                    }
                    var all: [Result<UserAccount, any Error>] = []
                    for await result in group { all.append(result) }
                    return all
                }
                #expect(results.filter { if case .success = $0 { true } else { false } }.count == 1, "round \(round)")
                #expect(results.allSatisfy { if case .failure(let error) = $0 { error is StoreError } else { true } }, "round \(round)")
            }
            let users = try await first.users(organisationID: nil)
            #expect(users.count == 10)
        }
    }

    @Test("the same alerts created by two nodes at once are stored once, with one set of deliveries")
    func concurrentAlertCreation() async throws {
        try await withTwoNodes { first, second in
            let plant = try await Contract.organisation(first, "Plant")
            let now = try await first.addChannel(Contract.email("now"), organisationID: plant.id)
            let daily = try await first.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            let drafts = (0..<40).map { Contract.draft(plant, key: "k\($0)", channels: [now.id, daily.id]) }
            // Each node plans the same alerts from the same journal and stores them in batches, as AlertCreator does.
            let flags = try await withThrowingTaskGroup(of: [Bool].self) { group in
                for node in [first, second, first, second] {
                    group.addTask {
                        var created: [Bool] = []
                        for start in stride(from: 0, to: drafts.count, by: 8) {
                            created += try await node.createAlerts(Array(drafts[start..<min(start + 8, drafts.count)]))
                        }
                        return created
                    }
                }
                var all: [[Bool]] = []
                for try await result in group { all.append(result) }
                return all
            }
            for index in drafts.indices {
                #expect(flags.filter { $0[index] }.count == 1, "alert k\(index)")
            }
            #expect(try await second.alerts(organisationID: plant.id, limit: 1000).count == drafts.count)
            let outbox = try await Contract.outbox(second, plant)
            #expect(outbox.count == drafts.count * 2)
            #expect(outbox.filter { $0.status == .held }.count == drafts.count)
        }
    }

    @Test("two nodes composing one channel's digest at once fold each held alert once")
    func concurrentDigest() async throws {
        try await withTwoNodes { first, second in
            let plant = try await Contract.organisation(first, "Plant")
            let daily = try await first.addChannel(Contract.email("daily", schedule: .daily), organisationID: plant.id)
            _ = try await first.createAlerts((0..<30).map { Contract.draft(plant, key: "k\($0)", channels: [daily.id]) })
            // Different period ends, as two nodes whose clocks disagree would compute: still one fold.
            let boundary = Date().addingTimeInterval(60)
            async let a = first.composeDigest(channelID: daily.id, periodEnd: boundary, now: boundary)
            async let b = second.composeDigest(channelID: daily.id, periodEnd: boundary.addingTimeInterval(1), now: boundary)
            let (one, two) = try await (a, b)
            #expect(one + two == 30 && (one == 0 || two == 0))
            let outbox = try await Contract.outbox(first, plant)
            #expect(outbox.filter { $0.kind == .digest }.count == 1)
            #expect(outbox.filter { $0.kind == .alert }.allSatisfy { $0.status == .digested })
        }
    }
}
