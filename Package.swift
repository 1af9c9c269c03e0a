// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "picoctl",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "UF2", targets: ["UF2"]),
        .library(name: "PicoBoot", targets: ["PicoBoot"]),
        .library(name: "PicoFlash", targets: ["PicoFlash"]),
        .library(name: "PicoSerial", targets: ["PicoSerial"]),
        .library(name: "PicoSim", targets: ["PicoSim"]),
        .executable(name: "picoctl", targets: ["picoctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C system libraries: only the transport modules see them.
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0",
                       providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CLibUDev", pkgConfig: "libudev",
                       providers: [.apt(["libudev-dev"])]),

        // Pure Swift: formats, protocol, planning.
        .target(name: "UF2"),
        .target(name: "PicoBoot", dependencies: ["UF2"]),
        .target(name: "PicoFlash", dependencies: ["UF2", "PicoBoot"]),
        .target(name: "PicoSim", dependencies: ["UF2", "PicoBoot"]),

        // Transports: the only modules that touch C or the OS.
        // PicoSerial: a board's tty and its identity are read one way for every command (sysfs).
        .target(name: "PicoUSB", dependencies: [
            "CLibUSB", "PicoBoot", "UF2", "PicoSerial",
        ]),
        .target(name: "PicoSerial", dependencies: [
            "CLibUDev",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        // Host checks behind `picoctl doctor`: reads sysfs, /proc and udev rules directly.
        .target(name: "PicoDoctor"),

        .executableTarget(name: "picoctl", dependencies: [
            "UF2", "PicoBoot", "PicoFlash", "PicoUSB", "PicoSerial", "PicoSim", "PicoDoctor",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [
            // The release executable is linked at a fixed address: the loader then has no
            // relocations to apply to it (about 46,000 as a PIE), which takes 1.2 to 1.7 ms off
            // every command's start. Shared libraries, stack and heap are still placed at random.
            .unsafeFlags(["-Xclang-linker", "-no-pie"], .when(platforms: [.linux], configuration: .release)),
        ]),

        .testTarget(name: "UF2Tests", dependencies: ["UF2"]),
        .testTarget(name: "PicoBootTests", dependencies: ["PicoBoot"]),
        .testTarget(name: "PicoFlashTests", dependencies: ["PicoFlash", "PicoBoot", "PicoSim", "UF2"]),
        .testTarget(name: "PicoSimTests", dependencies: ["PicoSim", "PicoBoot", "UF2"]),
        // Test support: starts the emulated-board harness (Tests/Harness) and speaks its control protocol.
        .target(name: "HarnessClient", path: "Tests/HarnessClient"),
        .testTarget(name: "PicoUSBTests", dependencies: ["PicoUSB", "HarnessClient"], exclude: ["Lab"]),
        .testTarget(name: "PicoSerialTests", dependencies: ["PicoSerial", "HarnessClient"], exclude: ["Emulated"]),
        .testTarget(name: "PicoDoctorTests", dependencies: ["PicoDoctor"]),
        // The executable's own pieces (file formats, config, colour, completions), tested in-process.
        .testTarget(name: "picoctlTests", dependencies: ["picoctl", "PicoUSB"]),
        // Runs the built `picoctl` binary; the emulated-board layer runs when the harness is present.
        .testTarget(name: "EndToEndTests", dependencies: ["UF2"], exclude: ["Golden"]),
    ]
)
