import Foundation
import PedigreeCrypto
import Testing
import TestSupport

@testable import PedigreeKit

/// Whether the timing runs were asked for.
private let benchmarkRequested = ProcessInfo.processInfo.environment["PEDIGREE_BENCHMARK"] == "1"

/// The per-tensor digest overhead and the value-comparison cost on a 2 GiB safetensors file,
/// measured in-process and printed, never asserted (`Benchmarks/tensor-digests.sh` runs it in
/// release mode). The file (32 F32 tensors of 4096 × 4096, random values) is made once in
/// `PEDIGREE_BENCHMARK_DIR` (default /tmp/pedigree-bench) and read from the page cache.
@Suite(
    "Tensor benchmark", .tags(.tensorBenchmark),
    .enabled(if: benchmarkRequested, "timings only: run Benchmarks/tensor-digests.sh (PEDIGREE_BENCHMARK=1)"))
struct TensorBenchmarkTests {
    static let tensorCount = 32
    static let side = 4096

    private func benchmarkFile() throws -> String {
        let folder = ProcessInfo.processInfo.environment["PEDIGREE_BENCHMARK_DIR"] ?? "/tmp/pedigree-bench"
        let path = folder + "/tensors/model.safetensors"
        let tensorBytes = Self.side * Self.side * 4
        var entries: [String] = []
        for index in 0..<Self.tensorCount {
            let begin = index * tensorBytes
            entries.append(#""t\#(index)":{"dtype":"F32","shape":[\#(Self.side),\#(Self.side)],"data_offsets":[\#(begin),\#(begin + tensorBytes)]}"#)
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        let total = 8 + header.count + Self.tensorCount * tensorBytes
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path), (attributes[.size] as? Int) == total {
            return path
        }
        try FileManager.default.createDirectory(atPath: folder + "/tensors", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let length = UInt64(header.count)
        try handle.write(contentsOf: Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header))
        // Small normal-ish values: random bits would be NaNs and infinities a quarter of the time.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let chunkFloats = 1 << 22
        var floats = [Float](repeating: 0, count: chunkFloats)
        for _ in 0..<(Self.tensorCount * Self.side * Self.side / chunkFloats) {
            for i in 0..<chunkFloats {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                floats[i] = Float(Int32(truncatingIfNeeded: state)) * 0x1p-36
            }
            try floats.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        }
        try handle.close()
        return path
    }

    private func best(_ rounds: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    @Test func perTensorDigestOverheadAndValueComparison() throws {
        let path = try benchmarkFile()
        let header = try SafetensorsHeader.read(path: path)
        let handle = try TensorFileHandle(path: path, displayName: "model.safetensors")
        let gib = Double(handle.size) / Double(1 << 30)
        // Warm the page cache.
        _ = try handle.stream(from: 0, chunkSize: 1 << 20) { _, _ in }
        let rounds = Int(ProcessInfo.processInfo.environment["PEDIGREE_BENCHMARK_ROUNDS"] ?? "") ?? 3

        var plainDigest: SHA256Digest?
        let plain = try best(rounds) {
            let sha = SHA256()
            _ = try handle.stream(from: 0, chunkSize: 1 << 20) { chunk, _ in sha.update(chunk) }
            plainDigest = sha.finalize()
        }
        var sequentialResult: WeightFileDigests?
        let sequential = try best(rounds) {
            sequentialResult = try TensorDigester.digests(handle, tensors: header.tensors, chunkSize: 1 << 20, concurrent: false)
        }
        var concurrentResult: WeightFileDigests?
        let concurrent = try best(rounds) {
            concurrentResult = try TensorDigester.digests(handle, tensors: header.tensors, chunkSize: 1 << 20, concurrent: true)
        }
        #expect(sequentialResult?.file.digest == plainDigest)
        #expect(concurrentResult == sequentialResult)

        // Value comparison of the file against itself, forced past the digest match.
        let inventory = try TensorInventory.read(folder: (path as NSString).deletingLastPathComponent, files: ["model.safetensors"])
        let forced = TensorInventory(
            records: inventory.records.map {
                TensorRecord(file: $0.file, name: $0.name, dtype: $0.dtype, shape: $0.shape, byteRange: $0.byteRange, digest: SHA256.hash([UInt8(0)]))
            }, files: inventory.files, folder: inventory.folder)
        var comparison: TensorComparison?
        let compare = try best(1) { comparison = try TensorComparison.compare(parent: forced, child: inventory) }
        #expect(comparison?.count(verdict: "exact") == Self.tensorCount)

        func line(_ label: String, _ seconds: Double, _ base: Double? = nil) -> String {
            let ratio = base.map { String(format: "  %.2f×", seconds / $0) } ?? ""
            return label.padding(toLength: 54, withPad: " ", startingAt: 0) + String(format: "%7.3f s  %6.2f GiB/s", seconds, gib / seconds) + ratio
        }
        print("""
            tensor digests on \(String(format: "%.2f", gib)) GiB, \(Self.tensorCount) tensors, 1 MiB chunks, best of \(rounds), \(availableProcessors()) cores:
            \(line("plain SHA-256 (file digest only)", plain))
            \(line("file + tensor digests, one thread", sequential, plain))
            \(line("file + tensor digests, tensor stream on a 2nd thread", concurrent, plain))
            \(line("value comparison of the file with itself (exact)", compare, plain))
            """)
    }
}
