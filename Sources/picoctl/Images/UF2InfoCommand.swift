import ArgumentParser
import UF2

/// `picoctl uf2 info FILE`: the blocks of a UF2 file by family and where an RP2350 bootrom puts each set.
struct UF2InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a UF2 file's layout per family, and where an RP2350 puts each family's blocks.",
        discussion: "Exit status: 0, 2 when the file holds no UF2 block, 3 unreadable.")

    @Argument(help: "The UF2 file ('-' for stdin).")
    var file: String

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() throws {
        let report = UF2Validator.validate(try FirmwareCLI.readBytes(file, type: .uf2))
        guard !report.families.isEmpty || report.hasAbsoluteBlock else {
            Diagnostics.error("\(file) holds no UF2 block", fix: "`picoctl info` shows what it holds")
            throw ExitStatus.invalidInput.exitCode
        }
        if json {
            print(FirmwareJSON.object(Self.json(report)).rendered())
        } else {
            print(Self.text(report, file: file).joined(separator: "\n"))
        }
    }

    /// Where an RP2350 bootrom writes the blocks of `family` starting at `lowest` (its UF2 target
    /// rules: `absolute` at its own addresses in unpartitioned space; any other family into the
    /// partition that accepts it, or unpartitioned space on a board without a table).
    static func target(_ family: Family?, lowest: UInt32) -> String {
        guard let family else { return "no family id: a bootrom ignores these blocks" }
        switch family {
        case .rp2040: return "RP2040 only: an RP2350 ignores these blocks"
        case .absolute: return "RP2350: unpartitioned space, at the blocks' own addresses"
        case .data: return "RP2350: the partition that accepts data (unpartitioned space without a table)"
        case .rp2350ArmS, .rp2350ArmNS, .rp2350RiscV:
            let moved = lowest == 0x1000_0000 ? "; linked at the flash start, so moved to the partition's start" : ""
            return "RP2350: the partition the bootrom picks for \(family.name ?? "\(family)") (own addresses without a table)\(moved)"
        default: return "a partition that lists family \(family) among its extra families"
        }
    }

    static func text(_ report: UF2ValidationReport, file: String) -> [String] {
        var lines = ["\(file): \(report.blockCount) blocks, \(report.families.count) famil\(report.families.count == 1 ? "y" : "ies")"]
        if report.hasAbsoluteBlock {
            lines.append("  RP2350-E10 block: family absolute at 0x10ffff00, ignored by the bootrom (not written)")
        }
        for f in report.families {
            let name = f.family.map { $0.name ?? $0.description } ?? "(none)"
            lines.append("  \(name): \(f.blocks) of \(f.declaredCount) blocks, \(f.payloadBytes) bytes, "
                         + "0x\(String(f.lowestAddress, radix: 16))-0x\(String(f.endAddress, radix: 16))")
            lines.append("    target: \(target(f.family, lowest: f.lowestAddress))")
        }
        return lines
    }

    static func json(_ report: UF2ValidationReport) -> [(String, FirmwareJSON)] {
        [FirmwareJSON.schema, ("blocks", .int(report.blockCount)), ("absolute_block", .bool(report.hasAbsoluteBlock)),
         ("families", .array(report.families.map { f in
             .object([("family", f.family.map { .string($0.name ?? $0.description) } ?? .null),
                      ("id", FirmwareJSON.hex(f.family?.rawValue)),
                      ("blocks", .int(f.blocks)), ("declared_count", .int(Int(f.declaredCount))),
                      ("payload_bytes", .int(f.payloadBytes)), ("start", .hex(f.lowestAddress)),
                      ("end", .hex64(f.endAddress)), ("target", .string(target(f.family, lowest: f.lowestAddress)))])
         }))]
    }
}
