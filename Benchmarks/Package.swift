// swift-tools-version:6.1
// Benchmarks for picoctl: `swift package --package-path Benchmarks benchmark` (see the README).
// Each benchmark target lives in Benchmarks/<Name>/ and depends on the root package by path.
import PackageDescription

let package = Package(
    name: "picoctl-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "picoctl", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "UF2Benchmarks",
            dependencies: [
                .product(name: "UF2", package: "picoctl"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/UF2Benchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
        .executableTarget(
            name: "SerialBenchmarks",
            dependencies: [
                .product(name: "PicoSerial", package: "picoctl"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/SerialBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
        .executableTarget(
            name: "FlashBenchmarks",
            dependencies: [
                .product(name: "PicoBoot", package: "picoctl"),
                .product(name: "PicoFlash", package: "picoctl"),
                .product(name: "PicoSim", package: "picoctl"),
                .product(name: "UF2", package: "picoctl"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/FlashBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
        .executableTarget(
            name: "LabBenchmarks",
            dependencies: [
                .product(name: "PicoBoot", package: "picoctl"),
                .product(name: "PicoFlash", package: "picoctl"),
                .product(name: "PicoSim", package: "picoctl"),
                .product(name: "UF2", package: "picoctl"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/LabBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
    ]
)
