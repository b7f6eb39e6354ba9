/// The parts of a PEFT `adapter_config.json` the adapter check uses.
///
/// Read through `JSONReader`; members other than these are ignored (PEFT writes dozens).
public struct AdapterConfig: Equatable, Sendable {
    /// Which modules the adapter targets.
    public enum Targets: Equatable, Sendable {
        /// Module names; a module is targeted when its name is one of them or ends with `.` and
        /// one of them (PEFT's `check_target_module_exists`).
        case names([String])
        /// A regular expression PEFT matches against whole module names; not evaluated here (a
        /// stranger's regular expression can take exponential time), so targets go unchecked.
        case pattern(String)
        /// PEFT's `all-linear`: every linear layer but the output layer.
        case allLinear
        /// No `target_modules` given.
        case unspecified
    }

    /// `peft_type`, e.g. `LORA`.
    public let peftType: String?
    /// `r`, the default rank.
    public let rank: Int
    public let targets: Targets
    /// `rank_pattern`: ranks for modules whose names end with a key.
    public let rankPattern: [String: Int]
    /// `base_model_name_or_path`, as written (an unverified name).
    public let baseModel: String?

    public init(peftType: String?, rank: Int, targets: Targets, rankPattern: [String: Int] = [:], baseModel: String? = nil) {
        self.peftType = peftType
        self.rank = rank
        self.targets = targets
        self.rankPattern = rankPattern
        self.baseModel = baseModel
    }

    /// Parses `adapter_config.json`; `file` names it in errors.
    public static func parse(bytes: some Collection<UInt8>, file: String = "adapter_config.json") throws(TensorFileError) -> AdapterConfig {
        let object = try parseJSONObject(bytes, file: file, field: "config")
        let peftType: String?
        switch object["peft_type"] {
        case nil, .null?: peftType = nil
        case .string(let text)?: peftType = text
        case let other?: throw TensorFileError(file: file, field: "peft_type", reason: .invalid("is \(other.kindDescription), not a string"))
        }
        guard case .number(let number)? = object["r"], let r = number.int64, r >= 1, r <= Int64(Int32.max) else {
            throw TensorFileError(file: file, field: "r", reason: .invalid(object["r"] == nil ? "is missing" : "is not a positive integer"))
        }
        let targets: Targets
        switch object["target_modules"] {
        case nil, .null?: targets = .unspecified
        case .string(let text)?: targets = text == "all-linear" ? .allLinear : .pattern(text)
        case .array(let items)?:
            var names: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let name) = item else {
                    throw TensorFileError(file: file, field: "target_modules[\(index)]", reason: .invalid("is \(item.kindDescription), not a string"))
                }
                names.append(name)
            }
            targets = .names(names)
        case let other?:
            throw TensorFileError(file: file, field: "target_modules", reason: .invalid("is \(other.kindDescription), not a list or a string"))
        }
        var rankPattern: [String: Int] = [:]
        switch object["rank_pattern"] {
        case nil, .null?: break
        case .object(let patterns)?:
            for member in patterns.members {
                guard case .number(let n) = member.value, let rank = n.int64, rank >= 1, rank <= Int64(Int32.max) else {
                    throw TensorFileError(file: file, field: "rank_pattern '\(member.key)'", reason: .invalid("is not a positive integer"))
                }
                rankPattern[member.key] = Int(rank)
            }
        case let other?:
            throw TensorFileError(file: file, field: "rank_pattern", reason: .invalid("is \(other.kindDescription), not an object"))
        }
        let baseModel: String?
        if case .string(let text)? = object["base_model_name_or_path"] { baseModel = text } else { baseModel = nil }
        return AdapterConfig(peftType: peftType, rank: Int(r), targets: targets, rankPattern: rankPattern, baseModel: baseModel)
    }

    /// Reads `adapter_config.json` at `path`.
    public static func read(path: String, displayName: String? = nil) throws(TensorFileError) -> AdapterConfig {
        let handle = try TensorFileHandle(path: path, displayName: displayName ?? path)
        guard handle.size <= Limits.tensorSidecarBytes else {
            throw TensorFileError(
                file: handle.displayName, field: "file", reason: .tooLarge(value: UInt64(handle.size), limit: UInt64(Limits.tensorSidecarBytes)))
        }
        return try parse(bytes: try handle.bytes(at: 0, count: Int(handle.size), field: "config"), file: handle.displayName)
    }

    /// The rank expected for `module`: that of a `rank_pattern` key it ends with (longest
    /// first), else `r`; `nil` when a key is a regular expression, which is not evaluated.
    func expectedRank(_ module: String) -> Int? {
        for key in rankPattern.keys.sorted(by: { ($0.count, $0) > ($1.count, $1) }) {
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
            if module == key || module.hasSuffix("." + key) { return rankPattern[key] }
        }
        return rank
    }

    /// Whether `module` is targeted; `nil` when that cannot be told (a pattern, no list).
    func targets(_ module: String) -> Bool? {
        switch targets {
        case .names(let names): return names.contains { module == $0 || module.hasSuffix("." + $0) }
        case .allLinear: return !module.hasSuffix("lm_head")
        case .pattern, .unspecified: return nil
        }
    }
}

/// Whether a LoRA adapter's tensors fit the base model they claim: each `lora_A`/`lora_B` pair
/// (PEFT layout, `base_model.model.<module>.lora_A.weight` of shape `[r, in]` and
/// `….lora_B.weight` of shape `[out, r]`; embeddings `lora_embedding_A` `[r, vocab]` and
/// `lora_embedding_B` `[dim, r]`) against the base tensor `<module>.weight` (`[out, in]`), with
/// the rank and targets of `adapter_config.json`; and whether the adapter's other tensors
/// (PEFT's `modules_to_save`) leave the base as it was.
public struct AdapterFit: Equatable, Sendable {
    /// One adapted module.
    public struct Module: Equatable, Sendable {
        /// The module path in the base model, e.g. `model.layers.0.self_attn.q_proj`.
        public let module: String
        /// The base tensor it adapts, when found.
        public let baseTensor: String?
        /// The rank read from the tensors.
        public let rank: Int?
        /// Why the tensors do not fit, or `nil` when they do.
        public let problem: String?
    }

    /// Every adapted module, in the order its first tensor appears in the adapter.
    public let modules: [Module]
    /// Base tensors the adapter also carries with other values (PEFT `modules_to_save`).
    public let replacedBaseTensors: [String]
    /// Base tensors the adapter carries unchanged.
    public let unchangedBaseTensors: Int
    /// Adapter tensors that are neither LoRA pairs nor base tensors (DoRA magnitudes, …).
    public let unknownTensors: [String]
    /// Targets named in `adapter_config.json` that no adapter tensor adapts.
    public let unusedTargets: [String]
    /// What could not be checked (no config, a regular expression for targets or ranks).
    public let unchecked: [String]

    /// The modules that fit.
    public var fitting: Int { modules.count { $0.problem == nil } }

    /// Checks `adapter`'s tensors against `base`'s, with `config` (`nil`: shapes only).
    public static func check(adapter: TensorInventory, config: AdapterConfig?, base: TensorInventory) -> AdapterFit {
        var baseByName: [String: TensorRecord] = [:]
        for record in base.records {
            if baseByName[record.name] == nil { baseByName[record.name] = record }
            let key = TensorComparer.key(record)
            if baseByName[key] == nil { baseByName[key] = record }
        }
        var order: [String] = []
        var parts: [String: (a: TensorRecord?, b: TensorRecord?, embedding: Bool)] = [:]
        var replaced: [String] = []
        var unchanged = 0
        var unknown: [String] = []
        for record in adapter.records {
            if let (module, role, embedding) = loraPart(record.name) {
                if parts[module] == nil {
                    order.append(module)
                    parts[module] = (nil, nil, embedding)
                }
                if role == "A" { parts[module]?.a = record } else if role == "B" { parts[module]?.b = record }
                continue
            }
            let stripped = record.name.hasPrefix("base_model.model.") ? String(record.name.dropFirst("base_model.model.".count)) : record.name
            if let original = baseByName[stripped] ?? baseByName[TensorNameMap.llamaGGUFName(stripped)?.name ?? stripped] {
                if original.digest == record.digest && original.dtype == record.dtype && original.shape == record.shape {
                    unchanged += 1
                } else {
                    replaced.append(stripped)
                }
            } else {
                unknown.append(record.name)
            }
        }

        var unchecked: [String] = []
        if config == nil { unchecked.append("no adapter_config.json: rank and targets not checked") }
        if case .pattern? = config?.targets { unchecked.append("target_modules is a regular expression, not evaluated: targets not checked") }
        if case .unspecified? = config?.targets { unchecked.append("adapter_config.json names no target_modules") }
        var modules: [Module] = []
        var usedTargets = Set<String>()
        var rankUnchecked = false
        for module in order {
            guard let (a, b, embedding) = parts[module] else { continue }
            let weightName = module + ".weight"
            let baseRecord = baseByName[weightName] ?? TensorNameMap.llamaGGUFName(weightName).flatMap { baseByName[$0.name] }
            let problem = fitProblem(module: module, a: a, b: b, embedding: embedding, base: baseRecord, config: config, rankUnchecked: &rankUnchecked)
            if case .names(let names)? = config?.targets {
                for name in names where module == name || module.hasSuffix("." + name) { usedTargets.insert(name) }
            }
            let rank = a.flatMap { $0.shape.dims.first }.map { Int($0) }
            modules.append(Module(module: module, baseTensor: baseRecord?.name, rank: rank, problem: problem))
        }
        if rankUnchecked { unchecked.append("rank_pattern holds a regular expression, not evaluated: ranks of matching modules not checked") }
        var unusedTargets: [String] = []
        if case .names(let names)? = config?.targets {
            unusedTargets = names.filter { !usedTargets.contains($0) }
        }
        return AdapterFit(
            modules: modules, replacedBaseTensors: replaced, unchangedBaseTensors: unchanged, unknownTensors: unknown,
            unusedTargets: unusedTargets, unchecked: unchecked)
    }

    /// The module, the part (`A` or `B`; `bias` for a `lora_B.bias`) and whether it is an
    /// embedding, of a PEFT LoRA tensor name.
    static func loraPart(_ name: String) -> (module: String, role: String, embedding: Bool)? {
        var stem = name.hasPrefix("base_model.model.") ? String(name.dropFirst("base_model.model.".count)) : name
        let endings: [(String, String, Bool)] = [
            (".lora_A.weight", "A", false), (".lora_B.weight", "B", false), (".lora_A.default.weight", "A", false),
            (".lora_B.default.weight", "B", false), (".lora_embedding_A", "A", true), (".lora_embedding_B", "B", true),
            (".lora_embedding_A.default", "A", true), (".lora_embedding_B.default", "B", true), (".lora_B.bias", "bias", false),
        ]
        for (ending, role, embedding) in endings where stem.hasSuffix(ending) {
            stem.removeLast(ending.count)
            return stem.isEmpty ? nil : (stem, role, embedding)
        }
        return nil
    }

    private static func fitProblem(
        module: String, a: TensorRecord?, b: TensorRecord?, embedding: Bool, base: TensorRecord?, config: AdapterConfig?,
        rankUnchecked: inout Bool
    ) -> String? {
        guard let a else { return "has lora_B but no lora_A" }
        guard let b else { return "has lora_A but no lora_B" }
        guard let base else { return "adapts '\(module).weight', which the base model does not have" }
        guard base.shape.dims.count == 2, a.shape.dims.count == 2, b.shape.dims.count == 2 else {
            return "lora_A \(a.shape), lora_B \(b.shape) and base \(base.shape) are not all matrices"
        }
        let rows = base.shape.dims[0]
        let columns = base.shape.dims[1]
        let rank = a.shape.dims[0]
        // Linear: A [r, in], B [out, r], base [out, in]. Embedding: A [r, vocab], B [dim, r], base [vocab, dim].
        let (aInner, bOuter) = embedding ? (rows, columns) : (columns, rows)
        guard b.shape.dims[1] == rank else { return "lora_A \(a.shape) and lora_B \(b.shape) disagree on the rank" }
        guard a.shape.dims[1] == aInner, b.shape.dims[0] == bOuter else {
            return "lora_A \(a.shape) and lora_B \(b.shape) do not fit the base tensor \(base.shape)"
        }
        if let config {
            if let expected = config.expectedRank(module) {
                if Int64(expected) != rank { return "has rank \(rank), but adapter_config.json says r=\(expected)" }
            } else {
                rankUnchecked = true
            }
            if config.targets(module) == false { return "is not among adapter_config.json's target_modules" }
        }
        return nil
    }
}
