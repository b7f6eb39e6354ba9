import ArgumentParser
import Foundation
import PedigreeKit

/// `sign`'s options for the digest cache: on by default, off with `--no-cache`, write-only with
/// `--rehash`.
struct CacheOptions: ParsableArguments {
    @Flag(help: "Neither reuse nor record digests in the digest cache.")
    var noCache = false

    @Flag(help: "Read every file, and refresh the digest cache with what was read.")
    var rehash = false

    func validate() throws {
        if noCache, rehash { throw ValidationError("--no-cache and --rehash: choose one") }
    }

    /// The cache to use, or `nil` when it is turned off or cannot be used (said on stderr).
    func open() -> DigestCache? {
        noCache ? nil : openDigestCache(mode: rehash ? .refresh : .readWrite)
    }
}

/// Opens the user's digest cache; says on stderr when it was rebuilt or cannot be used.
func openDigestCache(mode: DigestCache.Mode) -> DigestCache? {
    do {
        let cache = try DigestCache(environment: ProcessInfo.processInfo.environment, mode: mode)
        if let reason = cache.rebuiltBecause {
            Console.error("warning: the digest cache \(cache.path): \(reason); ignored and rebuilt")
        }
        return cache
    } catch DigestCacheProblem.noLocation {
        return nil
    } catch {
        Console.error("warning: \(error); every file is read")
        return nil
    }
}

/// Writes what the cache still holds and returns how many digests it gave back; says on
/// stderr when some could not be recorded (the run is not affected).
func finishDigestCache(_ cache: DigestCache) -> Int {
    let stats = cache.finish()
    if stats.writeFailures > 0 {
        Console.error("warning: the digest cache \(cache.path): \(stats.writeFailures) digests could not be recorded; they are read again next time")
    }
    return stats.reused
}

/// `sign`'s options for signing from digests computed elsewhere.
struct DigestOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Sign from the digests in LIST: sha256sum output (text or --tag) or 'pedigree hash --json' (repeatable).",
        valueName: "LIST"))
    var digests: [String] = []

    @Option(help: ArgumentHelp(
        "With --digests, re-hash N files (or P%) picked at random; any mismatch refuses the list.", valueName: "N|P%"))
    var spotCheck: SpotCheck?

    @Flag(help: "With --digests, sign from the list alone: DIR names the model and is not read (needs --output).")
    var noFolder = false

    var isEnabled: Bool { !digests.isEmpty }

    func validate() throws {
        if digests.isEmpty, spotCheck != nil || noFolder {
            throw ValidationError("--spot-check and --no-folder go with --digests")
        }
        if noFolder, spotCheck != nil {
            throw ValidationError("--spot-check re-hashes files of the folder; --no-folder has none")
        }
    }

    /// Reads the lists and builds the predicate from them.
    func describe(
        _ signer: ModelSigner, _ request: SignRequest, extraIgnores: [String], progress: ByteCounter
    ) throws -> ModelPredicate {
        let list = try DigestList.load(digests, folder: request.folder)
        return try signer.describe(
            request, digests: list, spotCheck: spotCheck, folderPresent: !noFolder, extraIgnores: extraIgnores,
            progress: progress)
    }
}

extension SpotCheck: ExpressibleByArgument {}
