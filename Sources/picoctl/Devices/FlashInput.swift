import PicoFlash
import UF2

/// What `flash` checks on its file before the board is touched: the family fits the chip, the image
/// lies in its memory, and the validator's rules, bootability included, find no error (`--force`
/// skips the family and validator checks).
struct FlashInput {
    /// The file as the user named it.
    var path: String
    /// The `uf2 validate` report of a UF2 file (nil for ELF and BIN).
    var report: UF2ValidationReport?
    /// The file, read.
    var firmware: FirmwareFile
    /// `--force`.
    var force: Bool

    /// The validator's error findings for a flash of this file onto `chip`: every UF2 rule for a UF2
    /// file, and the boot checks of the image chosen for the chip.
    func errors(for chip: Chip) -> [UF2ValidationReport.Finding] {
        let (_, image) = FlashCommand.choose(firmware, for: chip)
        var errors: [UF2ValidationReport.Finding] = []
        if let report {
            // Boot rules are judged below for the image this chip gets, not for every family in the file.
            errors = report.errors.filter { !BootChecks.rules.contains($0.rule) || $0.rule == "boot2-crc" }
        }
        let boot = BootChecks.check(image, chip: chip, boot2: firmware.format != .uf2)
        return errors + boot
    }

    /// Throws (exit 2) when a flash of this file onto `chip` breaks a rule: a family for another chip,
    /// an image outside its memory, or (unless `--force`) an error finding, each printed.
    func check(_ chip: Chip) throws {
        try Self.checkTarget(firmware, chip: chip, force: force)
        guard !force else { return }
        let errors = errors(for: chip)
        guard !errors.isEmpty else { return }
        let lines = errors.prefix(10).map { "  error [\($0.rule)]: \($0.message)" }
        throw DeviceFailure.invalidInput("\(path) breaks \(errors.count) rule(s) for the \(chip.name); the board was not touched:\n"
                                         + lines.joined(separator: "\n") + "\n  (check it with `picoctl uf2 validate`; flash it anyway with --force)")
    }

    /// Throws (exit 2) when the image `firmware` gives `chip` cannot go onto it: a family for another
    /// chip (unless `force`), or an image outside its memory. `flash` and `verify` judge a file so.
    static func checkTarget(_ firmware: FirmwareFile, chip: Chip, force: Bool) throws {
        let (family, image) = FlashCommand.choose(firmware, for: chip)
        do {
            try FlashPlanner.checkFamily(family, chip: chip, force: force)
            _ = try FlashPlanner.kind(of: image, chip: chip)
        } catch {
            throw DeviceFailure.flash(error)
        }
    }

    /// The likely reason a board flashed with this file came back in BOOTSEL.
    func likelyCause(for chip: Chip) -> String {
        if let first = errors(for: chip).first { return "the image breaks a boot rule (flashed with --force): \(first.message)" }
        return chip.hasBoot2
            ? "the program in flash did not start: check that it was built for the RP2040 (boot2 and vector table; `picoctl uf2 validate`)"
            : "the program in flash did not start: check that it was built for the RP2350 with an IMAGE_DEF the bootrom accepts (`picoctl info`)"
    }
}
