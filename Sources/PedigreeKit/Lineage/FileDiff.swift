import PedigreeCrypto

/// File-level differences between two models.
public enum FileDiff {
    /// What happened to each file going from `old` to `new`: unchanged (same path and digest),
    /// modified (same path, new digest), renamed (a removed file's digest under an added path;
    /// each old file pairs with at most one new one), added and removed. Lists are in
    /// `RelativePath.precedes` order; names compare as bytes.
    public static func compare(
        old: [(name: String, digest: SHA256Digest)], new: [(name: String, digest: SHA256Digest)], parent: SHA256Digest? = nil
    ) -> FileChanges {
        var oldByName: [ByteKey: SHA256Digest] = [:]
        for file in old { oldByName[ByteKey(file.name)] = file.digest }
        let newNames = Set(new.map { ByteKey($0.name) })
        var changes = FileChanges(parent: parent)
        var added: [(name: String, digest: SHA256Digest)] = []
        for file in new.sorted(by: { RelativePath.precedes($0.name, $1.name) }) {
            switch oldByName[ByteKey(file.name)] {
            case .some(let digest) where digest == file.digest: changes.unchanged.append(file.name)
            case .some: changes.modified.append(file.name)
            case .none: added.append(file)
            }
        }
        var removed = old.filter { !newNames.contains(ByteKey($0.name)) }.sorted { RelativePath.precedes($0.name, $1.name) }
        for file in added {
            if let index = removed.firstIndex(where: { $0.digest == file.digest }) {
                changes.renamed.append(Rename(from: removed[index].name, to: file.name))
                removed.remove(at: index)
            } else {
                changes.added.append(file.name)
            }
        }
        changes.removed = removed.map(\.name)
        return changes
    }
}

extension ModelPredicate {
    /// The files that need a modification notice (OpenAtom §3.1(3), Apache-2.0 §4(b)): every
    /// file not identical (same path, same digest) to a file of at least one parent, except
    /// license and notice files; empty for a model with no parents.
    ///
    /// A license or notice file is not part of the model the license's "modified files" speak
    /// of: it carries the terms and the notices. A changed one is judged by the conditions that
    /// concern it — the copy of the license (§3.1(1), §4(a): the published text, or the text an
    /// ancestor carried) and the retained notices (§3.1(2), §4(c)) — and a derivation's method
    /// text is never stamped on it, which would claim the license itself was "quantized".
    public func filesNeedingModificationNotice() -> [String] {
        guard let lineage else { return [] }
        let unchangedSomewhere = Set(lineage.changes.flatMap(\.unchanged).map(ByteKey.init))
        return resources.filter {
            !unchangedSomewhere.contains(ByteKey($0.name.string)) && $0.role != .notice && $0.role != .license
        }.map(\.name.string)
    }
}

extension FileChanges {
    /// Files of the new model that are not identical to the parent's: modified, added, and
    /// the new names of renamed files.
    public var changedFiles: [String] { modified + added + renamed.map(\.to) }

}
