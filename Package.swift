// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pedigree",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pedigree", targets: ["pedigree"]),
        .library(name: "PedigreeKit", targets: ["PedigreeKit"]),
        // The fuzz harnesses, for the libFuzzer package in Fuzz/ (see Scripts/fuzz.sh).
        .library(name: "FuzzHarnesses", targets: ["FuzzHarnesses"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(name: "PedigreeCrypto", dependencies: ["COpenSSL"]),
        .target(name: "PedigreeKit", dependencies: ["PedigreeCrypto", "CSQLite", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "pedigree",
            dependencies: [
                "PedigreeKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "FuzzHarnesses", dependencies: ["PedigreeKit", "PedigreeCrypto"], path: "Fuzz/Harnesses"),
        .target(name: "TestSupport", dependencies: ["PedigreeCrypto"], path: "Tests/TestSupport"),
        .testTarget(name: "PedigreeCryptoTests", dependencies: ["PedigreeCrypto", "TestSupport"]),
        .testTarget(name: "PedigreeKitTests", dependencies: ["PedigreeKit", "FuzzHarnesses", "TestSupport"]),
        .testTarget(name: "pedigreeTests", dependencies: ["pedigree", "PedigreeKit", "PedigreeCrypto", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
