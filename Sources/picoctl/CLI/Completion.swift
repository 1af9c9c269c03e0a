import ArgumentParser
import PicoUSB
import UF2

/// What the shell completions (`picoctl --generate-completion-script bash|zsh|fish`) offer for picoctl's
/// values. The dynamic ones run picoctl itself through the argument parser's hidden `---completion`
/// entry point when the user presses Tab.
enum Completions {
    /// Firmware files: `.uf2`, `.elf`, `.bin` (and folders to descend into).
    static let firmware = CompletionKind.file(extensions: ["uf2", "elf", "bin"])

    /// UF2 files.
    static let uf2 = CompletionKind.file(extensions: ["uf2"])

    /// Family names (`rp2040`, `rp2350-arm-s`, ...).
    static let families = CompletionKind.list(Family.known.compactMap(\.name))

    /// Inventory names (from `--inventory` on the line, else the default inventory), then the
    /// unique serials of the boards present.
    static let boardNames = CompletionKind.custom { words, _, _ in
        boardNames(inventory: option("--inventory", in: words)) + presentBoards().compactMap { $0.serialIsUnique ? $0.usb.serialNumber : nil }
    }

    /// USB port paths of the boards present.
    static let portPaths = CompletionKind.custom { _, _, _ in
        presentBoards().map(\.usb.portPath.description)
    }

    /// The fish script, when `arguments` ask for it (`--generate-completion-script fish`, `=fish`,
    /// or no shell named and fish detected): the argument parser's, except that it asks fish for
    /// the cursor's place in the word being completed with `commandline -tC`, which fish 3 does not
    /// answer, so every custom completion (`--serial`, `--port`) failed there with an error on the
    /// terminal. `string length "$(commandline -ct)"` (the word up to the cursor) gives it in fish 3.4
    /// and later.
    static func fishScript(for arguments: [String]) -> String? {
        let asked = arguments == ["--generate-completion-script", "fish"] || arguments == ["--generate-completion-script=fish"]
            || (arguments == ["--generate-completion-script"] && CompletionShell.autodetected() == .fish)
        guard asked else { return nil }
        return Picoctl.completionScript(for: .fish)
            .replacing("(__picoctl_tokens -tC)", with: #"(string length -- "$(commandline -ct)")"#)
    }

    /// The names of the inventory at `explicit` or the default place; none when it cannot be read.
    static func boardNames(inventory explicit: String?) -> [String] {
        ((try? Inventory.load(explicit: explicit)) ?? Inventory()).entries.map(\.name)
    }

    /// Raspberry Pi boards on USB now, sorted by port; none when USB cannot be read.
    static func presentBoards() -> [PicoDevice] {
        guard let context = try? USBContext(), let scanned = try? context.scan() else { return [] }
        return scanned.map(\.board).sorted { $0.usb.portPath.description < $1.usb.portPath.description }
    }

    /// The value after `name` on the command line being completed (`--inventory x` or `--inventory=x`).
    static func option(_ name: String, in words: [String]) -> String? {
        for (index, word) in words.enumerated() {
            if word == name, index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix(name + "=") { return String(word.dropFirst(name.count + 1)) }
        }
        return nil
    }
}
