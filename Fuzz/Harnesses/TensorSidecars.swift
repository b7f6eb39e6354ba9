import PedigreeKit

/// A sharded safetensors model's `model.safetensors.index.json`, as the tensor readers read it:
/// what is accepted maps every tensor name to a shard, and the shard list holds each once.
func fuzzSafetensorsIndex(_ data: [UInt8]) {
    guard let index = try? SafetensorsIndex.parse(bytes: data) else { return }
    fuzzCheck(Set(index.shards) == Set(index.weightMap.values), "the shard list is not the weight map's shards")
    fuzzCheck(index.shards.count == Set(index.shards).count, "a shard is listed twice")
}

/// A PEFT `adapter_config.json`, as the adapter check reads it: what is accepted has a rank
/// of at least 1.
func fuzzAdapterConfig(_ data: [UInt8]) {
    guard let config = try? AdapterConfig.parse(bytes: data) else { return }
    fuzzCheck(config.rank >= 1, "an accepted rank is below 1")
    fuzzCheck(config.rankPattern.values.allSatisfy { $0 >= 1 }, "an accepted rank_pattern rank is below 1")
}
