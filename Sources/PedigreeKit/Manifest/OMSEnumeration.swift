/// What OMS v1.0 §6.1.1 leaves out of a model walked with `allow_symlinks: true`, decided on
/// the walk pedigree already made (`ModelFolder.scan`), so the link policy of the walk itself
/// is unchanged.
///
/// §6.1.1 resolves a link and hashes "the target file's contents": a link to a file is a
/// resource under the link's name, a link to a folder is not a file and is not enumerated, and a
/// link leading back to an ancestor folder (a cycle) is reported, not followed. model_signing
/// 1.1.1 does the same (run on a folder holding both: it lists `link-file`, not
/// `link-dir/…`, and skips `sub/loop -> ..`). pedigree's own manifests keep descending into
/// folder links inside the model (`sign --follow-symlinks`).
enum OMSEnumeration {
    /// Whether `relativePath` under `root` reaches its file through a link to a folder (one of
    /// its parent components is a link), or is itself a link to a folder.
    static func isBeyondFolderLink(_ relativePath: String, root: String) -> Bool {
        var prefix = root
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        for (index, component) in components.enumerated() {
            prefix = joinPath(prefix, String(component))
            guard case .success(let status) = fileStatus(atPath: prefix, follow: false) else { return false }
            guard status.kind == .symlink else { continue }
            if index < components.count - 1 { return true }
            if case .success(let target) = fileStatus(atPath: prefix, follow: true) { return target.kind == .directory }
            // A link that cannot be resolved (a cycle of links) is not a file either.
            return true
        }
        return false
    }

    /// The scan without what §6.1.1 does not enumerate: files reached through folder links, and
    /// folder links (cycles among them) reported as problems. The folder links are returned so
    /// a caller can say they were left out.
    static func filter(
        _ scan: (files: [(name: String, job: HashJob)], problems: [FileError]), root: String
    ) -> (files: [(name: String, job: HashJob)], problems: [FileError], folderLinks: [String]) {
        var links: [String] = []
        let files = scan.files.filter { file in
            guard isBeyondFolderLink(file.name, root: root) else { return true }
            links.append(file.name)
            return false
        }
        let problems = scan.problems.filter { problem in
            guard isBeyondFolderLink(problem.path, root: root) else { return true }
            links.append(problem.path)
            return false
        }
        return (files, problems, links)
    }
}
