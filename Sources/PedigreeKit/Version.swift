/// The name and version this library writes into the manifests it makes.
public enum PedigreeInfo {
    public static let name = "pedigree"
    public static let version = "0.1.0"
}
