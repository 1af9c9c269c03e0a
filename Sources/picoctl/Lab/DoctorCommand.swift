import ArgumentParser
import FoundationEssentials
import PicoDoctor
import PicoSerial
import PicoUSB

/// `picoctl doctor`: checks the host and says how to fix what stops picoctl from reaching boards.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check USB access, udev rules, groups, ModemManager and mounted BOOTSEL drives.",
        discussion: "Exit status 0 when nothing needs fixing, 1 when something does (warnings alone do not count).")

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @OptionGroup(title: "General")
    var general: GeneralOptions

    func run() throws {
        var report = Doctor(root: .current).run()
        report.findings.insert(Finding(check: "libraries", severity: PicoSerial.udevAvailable ? .ok : .problem,
                                       summary: "libusb \(PicoUSB.libraryVersion), libudev " + (PicoSerial.udevAvailable ? "available" : "cannot initialise"),
                                       fix: PicoSerial.udevAvailable ? nil : "sudo apt install libudev1"), at: 0)
        report.findings.insert(contentsOf: Config.doctorFindings(), at: 1)
        if json {
            struct Document: Encodable { var schema: Int; var needsFixing: Bool; var findings: [Finding]; var devices: [UsbScan.Device] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let document = Document(schema: JSONStyle.schema, needsFixing: report.needsFixing, findings: report.findings, devices: report.devices)
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        } else {
            for finding in report.findings {
                let mark: String = switch finding.severity {
                case .ok: Colour.paint("ok", .green, on: .stdout) + "      "
                case .warning: Colour.paint("warning", .yellow, on: .stdout) + " "
                case .problem: Colour.paint("PROBLEM", .red, on: .stdout) + " "
                }
                print("\(mark) \(finding.summary)")
                if let fix = finding.fix, finding.severity != .ok { print("         fix: \(fix)") }
            }
            print(report.needsFixing ? "\nSomething needs fixing (see above)." : "\nNothing needs fixing.")
        }
        if report.needsFixing { throw ExitStatus.failure.exitCode }
    }
}
