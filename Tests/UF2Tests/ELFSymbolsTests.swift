import Foundation
import Testing
@testable import UF2

/// Symbols and DWARF lines of ELF files built by the test with the compilers present: Clang from the
/// Swift toolchain (DWARF 4 and 5) and, when installed, GCC's arm-none-eabi-gcc (Debian
/// gcc-arm-none-eabi). `llvm-symbolizer` from the same toolchain is the reference for every address.
@Suite struct ELFSymbolsTests {
    static let source = """
        static volatile int sink;
        __attribute__((noinline)) int helper(int x) {
            sink = x;
            return x * 3 + sink;
        }

        int main(void) {
            int total = 0;
            for (int i = 0; i < 4; i++) {
                total += helper(i);
            }
            return total;
        }

        void Reset_Handler(void) {
            main();
            for (;;) {}
        }
        """

    static func tool(_ name: String) -> String? {
        let paths = ["/opt/swift/usr/bin", "/usr/bin", "/usr/local/bin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Compiles `source` into an ELF linked at 0x10000100; nil when the compiler is missing.
    static func build(_ compiler: String, flags: [String]) throws -> [UInt8]? {
        guard let path = tool(compiler) else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elfsym-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = dir.appendingPathComponent("main.c")
        try source.write(to: c, atomically: true, encoding: .utf8)
        let elf = dir.appendingPathComponent("app.elf")
        _ = try run(path, flags + ["-g", "-O1", "-ffreestanding", "-nostdlib", "-Wl,-Ttext=0x10000100",
                                   "-Wl,-e,Reset_Handler", "-o", elf.path, c.path])
        return Array(try Data(contentsOf: elf))
    }

    static let builds: [(String, String, [String])] = [
        ("clang, DWARF 5", "clang", ["--target=thumbv6m-none-eabi", "-mcpu=cortex-m0plus", "-fuse-ld=lld", "-gdwarf-5"]),
        ("clang, DWARF 4", "clang", ["--target=thumbv6m-none-eabi", "-mcpu=cortex-m0plus", "-fuse-ld=lld", "-gdwarf-4"]),
        ("gcc", "arm-none-eabi-gcc", ["-mcpu=cortex-m0plus", "-mthumb"]),
    ]

    @Test(arguments: builds)
    func everyCodeAddressAgreesWithLLVMSymbolizer(_ build: (String, String, [String])) throws {
        let (name, compiler, flags) = build
        guard let bytes = try Self.build(compiler, flags: flags), let symbolizer = Self.tool("llvm-symbolizer") else {
            print("\(name): \(compiler) or llvm-symbolizer not installed; skipped")
            return
        }
        let elf = try ELFFile(bytes: bytes)
        let symbols = try ELFSymbols(elf: elf)
        let lines = try DWARFLineTable(elf: elf)
        #expect(Set(symbols.functions.map(\.name)).isSuperset(of: ["helper", "main", "Reset_Handler"]), "\(name)")
        #expect(lines.count > 0, "\(name)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elfsym-\(UUID().uuidString).elf")
        try Data(bytes).write(to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let code = symbols.functions.filter { ["helper", "main", "Reset_Handler"].contains($0.name) }
        let addresses = code.flatMap { function in stride(from: function.address, to: function.address + function.size, by: 2) }
        #expect(addresses.count >= 12, "\(name): every halfword of the three functions is checked")
        let reference = try Self.run(symbolizer, ["--obj=\(dir.path)", "--no-inlines", "--basenames", "--functions=linkage"]
                                     + addresses.map { "0x" + String($0, radix: 16) })
        let blocks = reference.split(separator: "\n\n", omittingEmptySubsequences: true)
        #expect(blocks.count == addresses.count)
        for (address, block) in zip(addresses, blocks) {
            let parts = block.split(separator: "\n")
            let function = String(parts[0])
            let fileLine = parts[1].split(separator: ":").map { $0.split(separator: "/").last.map(String.init) ?? "" }
            #expect(symbols.lookup(address)?.name == function, "\(name) 0x\(String(address, radix: 16))")
            let found = lines.lookup(address)
            if fileLine[0] == "??" || fileLine[1] == "0" {
                #expect(found == nil || found?.line == 0, "\(name) 0x\(String(address, radix: 16))")
            } else {
                #expect(found.map { "\($0.file.split(separator: "/").last.map(String.init) ?? ""):\($0.line)" } == "\(fileLine[0]):\(fileLine[1])",
                        "\(name) 0x\(String(address, radix: 16))")
            }
        }
    }

    @Test func outsideEveryFunctionIsNil() throws {
        guard let bytes = try Self.build("clang", flags: Self.builds[0].2) else { return }
        let elf = try ELFFile(bytes: bytes)
        let symbols = try ELFSymbols(elf: elf)
        #expect(symbols.lookup(0x2000_0000) == nil)
        #expect(symbols.lookup(0x1000_0000) == nil)
        #expect(try DWARFLineTable(elf: elf).lookup(0x2000_0000) == nil)
    }
}
