import Storage
import Store

extension VigilStore {
    /// Runs `body` with this store, then closes it, whether `body` returned or threw (an `ExitCode` too): a one-shot
    /// command releases its connections (PostgreSQL) and its hold on the store before the process ends.
    func closing<T>(_ body: (any VigilStore) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            await close()
            throw error
        }
        await close()
        return result
    }
}
