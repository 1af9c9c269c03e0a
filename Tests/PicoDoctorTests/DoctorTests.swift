import Foundation
import Testing
@testable import PicoDoctor

/// A fake system tree in a temporary directory.
final class FakeRoot {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try write("/etc/group", "root:x:0:\nplugdev:x:46:alice\n")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ absolute: String, _ text: String, mode: Int = 0o644) throws {
        let url = URL(fileURLWithPath: path + absolute)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    func link(_ absolute: String, to target: String) throws {
        let url = URL(fileURLWithPath: path + absolute)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    /// A USB device directory in sysfs, and its device node with the given mode.
    func device(port: String, product: String, serial: String, bus: Int, dev: Int, nodeMode: Int = 0o664) throws {
        let base = "/sys/bus/usb/devices/\(port)"
        try write(base + "/idVendor", "2e8a\n")
        try write(base + "/idProduct", product + "\n")
        try write(base + "/serial", serial + "\n")
        try write(base + "/busnum", "\(bus)\n")
        try write(base + "/devnum", "\(dev)\n")
        try write(String(format: "/dev/bus/usb/%03d/%03d", bus, dev), "", mode: nodeMode)
    }

    func root(user: UInt32 = 1000, groups: [UInt32] = [1000]) -> SystemRoot {
        SystemRoot(path: path, groupIDs: groups, userID: user)
    }
}

@Suite struct DoctorTests {
    @Test func missingRulesAreAProblemForAUser() throws {
        let fake = try FakeRoot()
        let report = Doctor(root: fake.root()).run()
        let rules = try #require(report.findings.first { $0.check == "udev-rules" })
        #expect(rules.severity == .problem)
        #expect(rules.fix?.contains("60-picoctl.rules") == true)
        #expect(report.needsFixing)
    }

    @Test func installedRulesAndGroupAreFine() throws {
        let fake = try FakeRoot()
        try fake.write("/etc/udev/rules.d/60-picoctl.rules", try String(contentsOfFile: rulesFile, encoding: .utf8))
        let report = Doctor(root: fake.root(groups: [1000, 46])).run()
        #expect(report.findings.first { $0.check == "udev-rules" }?.severity == .ok)
        #expect(report.findings.first { $0.check == "plugdev" }?.severity == .ok)
        #expect(!report.needsFixing)
    }

    @Test func rulesWithoutModemManagerIgnoreAreAWarning() throws {
        let fake = try FakeRoot()
        try fake.write("/lib/udev/rules.d/99-pico.rules", "SUBSYSTEM==\"usb\", ATTR{idVendor}==\"2e8a\", MODE=\"0666\"\n")
        let finding = Doctor(root: fake.root()).rulesFinding()
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("ID_MM_DEVICE_IGNORE"))
    }

    @Test func userOutsidePlugdevIsWarned() throws {
        let fake = try FakeRoot()
        let finding = Doctor(root: fake.root(groups: [1000])).groupFinding()
        #expect(finding.severity == .warning)
        #expect(finding.fix?.contains("usermod -aG plugdev") == true)
    }

    @Test func permissionDeniedPerDeviceWithFix() throws {
        let fake = try FakeRoot()
        try fake.device(port: "1-2", product: "0003", serial: "E0C912D24340", bus: 1, dev: 2, nodeMode: 0o600)
        try fake.device(port: "1-3.1", product: "000a", serial: "E6605481DB484636", bus: 1, dev: 3, nodeMode: 0o666)
        try fake.write("/sys/bus/usb/devices/1-3.1:1.0/tty/ttyACM0/dev", "166:0\n")
        try fake.write("/dev/ttyACM0", "", mode: 0o660)
        let report = Doctor(root: fake.root()).run()
        #expect(report.devices.map(\.port) == ["1-2", "1-3.1"])
        #expect(report.devices[1].ttys == ["/dev/ttyACM0"])
        let access = report.findings.filter { $0.check == "device-access" }
        #expect(access.count == 3)
        #expect(access[0].severity == .problem && access[0].summary.contains("/dev/bus/usb/001/002"))
        #expect(access[1].severity == .ok)
        #expect(access[2].severity == .problem && access[2].summary.contains("/dev/ttyACM0"))
        #expect(access[2].fix == Doctor.installRulesFix)
    }

    @Test func duplicateBootselSerialsAdvisePort() throws {
        let fake = try FakeRoot()
        try fake.device(port: "1-2", product: "0003", serial: "E0C912D24340", bus: 1, dev: 2)
        try fake.device(port: "1-4", product: "0003", serial: "E0C912D24340", bus: 1, dev: 4)
        try fake.device(port: "1-5", product: "000f", serial: "ABCDEF0123456789", bus: 1, dev: 5)
        let findings = Doctor(root: fake.root()).run().findings.filter { $0.check == "bootsel-identity" }
        #expect(findings.count == 1)
        #expect(findings[0].fix == "select one with --port, e.g. --port 1-2")
    }

    @Test func modemManagerHoldingAPicoTTYIsAProblem() throws {
        let fake = try FakeRoot()
        try fake.device(port: "1-3", product: "000a", serial: "E6605481DB484636", bus: 1, dev: 3)
        try fake.write("/sys/bus/usb/devices/1-3:1.0/tty/ttyACM0/dev", "166:0\n")
        try fake.write("/proc/812/comm", "ModemManager\n")
        try fake.link("/proc/812/fd/7", to: "/dev/ttyACM0")
        try fake.write("/proc/900/comm", "brltty\n")
        let findings = Doctor(root: fake.root()).run().findings.filter { $0.check == "port-grabber" }
        #expect(findings.count == 2)
        #expect(findings[0].severity == .problem && findings[0].summary == "ModemManager holds /dev/ttyACM0 open")
        #expect(findings[1].severity == .warning && findings[1].summary.contains("brltty"))
    }

    @Test func mountedBootselDriveIsReported() throws {
        let fake = try FakeRoot()
        try fake.write("/proc/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /media/alice/RPI-RP2 vfat rw 0 0\n/dev/sdc1 /mnt/My\\040Pico vfat rw 0 0\n")
        try fake.link("/dev/disk/by-label/RPI-RP2", to: "../../sdc1")
        let findings = Doctor(root: fake.root()).mountFindings()
        #expect(findings.map(\.fix) == ["udisksctl unmount -b /dev/sdb1", "udisksctl unmount -b /dev/sdc1"])
        #expect(findings[1].summary.contains("/mnt/My Pico"))
    }

    var rulesFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("udev/60-picoctl.rules").path
    }
}
