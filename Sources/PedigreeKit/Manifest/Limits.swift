/// The caps a reader of outside data enforces, in one place: a writer checks the same numbers
/// before it writes, so pedigree never produces a file its own reader refuses.
public enum Limits {
    /// The most signatures an envelope may carry.
    public static let signaturesPerEnvelope = 64
    /// The most ancestors a bundle may embed.
    public static let ancestors = 1024
    /// The most bytes of ignore patterns a manifest may carry.
    public static let ignorePatternBytes = 16 << 10
    /// The largest manifest file read.
    public static let manifestBytes = 256 << 20
    /// The most signature verifications one run performs (`SignatureBudget`): four per
    /// ancestor a bundle may hold. Past it, signatures are reported unchecked and the run fails.
    public static let signatureVerificationsPerRun = 4 * ancestors
    /// The most nodes a YAML spec may expand to (its aliases included).
    public static let specNodes = 100_000
    /// The largest digest list read by `sign --digests`: about the size of the manifest it makes.
    public static let digestListBytes = 256 << 20
    /// The most certificates an X.509 chain in a bundle may hold (leaf, intermediates, root).
    public static let certificatesPerChain = 16
    /// The most transparency-log entries a Sigstore bundle's material may list (they are
    /// counted, never interpreted).
    public static let transparencyLogEntries = 64
    /// The deepest nesting of JSON lists and objects read.
    public static let jsonDepth = JSONReader.defaultMaxDepth
}
