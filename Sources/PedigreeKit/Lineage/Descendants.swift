import PedigreeCrypto

/// A manifest found to descend from a given model.
public struct Descendant: Encodable, Sendable, Equatable {
    /// One step from a model to its parent.
    public struct Step: Encodable, Sendable, Equatable {
        public var relation: Relation
        public var parent: String
    }

    public var name: String
    /// Where its manifest was found.
    public var manifest: String
    public var manifestDigest: String
    /// The steps from it up to the model, nearest first.
    public var path: [Step]
}

/// Finding a model's derivatives among the manifests under a folder.
public enum Descendants {
    /// Every manifest (`pedigree.json`, `*.pedigree.json`) under `folder` whose embedded chain
    /// contains `model`, with how it descends; unreadable manifests are skipped. Links are not
    /// followed.
    public static func find(of model: SignedManifest, under folder: String) throws(FileError) -> [Descendant] {
        let walker = TreeWalker(linkPolicy: .refuse) { path, isDirectory in
            isDirectory && (lastComponent(path) == ".git" || lastComponent(path) == ".cache")
        }
        var found: [Descendant] = []
        for item in try walker.walk(path: folder, displayPrefix: folder) {
            guard case let .file(_, job) = item else { continue }
            let name = lastComponent(job.displayPath)
            guard name == "pedigree.json" || name.hasSuffix(".pedigree.json"),
                let chain = try? ModelChain.load(job.displayPath),
                chain.manifest.manifestDigest != model.manifestDigest,
                let path = steps(in: chain, from: chain.manifest, to: model.manifestDigest)
            else { continue }
            found.append(Descendant(
                name: chain.manifest.name, manifest: job.displayPath, manifestDigest: chain.manifest.manifestDigest.hex,
                path: path))
        }
        return found
    }

    /// The shortest path of parent steps from `node` to the manifest `target`, if there is one.
    static func steps(in chain: ModelChain, from node: SignedManifest, to target: SHA256Digest) -> [Descendant.Step]? {
        var queue: [(SignedManifest, [Descendant.Step])] = [(node, [])]
        var seen: Set<SHA256Digest> = [node.manifestDigest]
        while !queue.isEmpty {
            let (current, path) = queue.removeFirst()
            for (reference, parent) in chain.parents(of: current) {
                guard let parent, seen.insert(parent.manifestDigest).inserted else { continue }
                let next = path + [Descendant.Step(relation: reference.relation, parent: reference.name)]
                if parent.manifestDigest == target { return next }
                queue.append((parent, next))
            }
        }
        return nil
    }
}
