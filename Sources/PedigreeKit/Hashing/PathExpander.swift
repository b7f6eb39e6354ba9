/// Turns command-line paths into files to hash, the way `sha256sum` users expect.
///
/// A path named on the command line is followed if it is a link (as `sha256sum` does);
/// folders are walked in sorted order, and links found inside them are reported and skipped
/// unless `followSymlinks`.
public struct PathExpander: Sendable {
    public var followSymlinks: Bool

    public init(followSymlinks: Bool = false) {
        self.followSymlinks = followSymlinks
    }

    /// The files under `arguments`, in argument order; folders expand in place.
    public func expand(_ arguments: [String]) -> [WalkItem] {
        var items: [WalkItem] = []
        let walker = TreeWalker(linkPolicy: followSymlinks ? .follow : .refuse)
        for argument in arguments {
            let status: FileStatus
            switch fileStatus(atPath: argument, follow: true) {
            case .success(let st): status = st
            case .failure(let failure):
                items.append(.failure(FileError(path: argument, reason: .system(failure.code))))
                continue
            }
            switch status.kind {
            case .regular:
                let job = HashJob(
                    displayPath: argument, source: .path(argument, followLinks: true), sizeHint: status.size)
                items.append(.file(relativePath: argument, job: job))
            case .directory:
                do {
                    items += try walker.walk(path: argument, displayPrefix: argument)
                } catch {
                    items.append(.failure(error))
                }
            default:
                items.append(.failure(FileError(path: argument, reason: status.kind.refusalOfNonRegular)))
            }
        }
        return items
    }
}
