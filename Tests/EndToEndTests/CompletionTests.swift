import Foundation
import Testing

/// What the generated completion scripts offer, each shell run for real: bash (its completion function
/// called in a subshell with COMP_WORDS set as bash sets them), fish (`complete -C`) and zsh (an
/// interactive zsh on a pseudo-terminal, driven through `zpty`, its `compadd` calls recorded). fish and
/// zsh tests run when the shell is installed (`Scripts/setup.sh` installs both).
@Suite struct CompletionTests {
    let dir: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-completion-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for name in ["app.uf2", "app.elf", "app.bin", "notes.txt", "lab.toml"] {
            FileManager.default.createFile(atPath: url.appendingPathComponent(name).path, contents: Data())
        }
        try? "bench-3 = \"E6605481DB484636\"\n[boards]\nleft-rig = \"port:1-3.2\"\n"
            .write(to: url.appendingPathComponent("lab.toml"), atomically: true, encoding: .utf8)
        return url
    }()

    func script(_ shell: String) throws -> String {
        let result = try Binary.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        return result.stdout
    }

    /// What bash offers for the command line `words` (the last word is the one being completed).
    func bash(_ words: [String], environment: [String: String] = [:]) throws -> [String] {
        let scriptFile = dir.appendingPathComponent("picoctl.bash")
        try script("bash").write(to: scriptFile, atomically: true, encoding: .utf8)
        let quoted = ([Binary.url.path] + words).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let program = """
            shopt -s extglob
            source '\(scriptFile.path)'
            cd '\(dir.path)'
            COMP_WORDS=(\(quoted.joined(separator: " "))); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _picoctl "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["--norc", "--noprofile", "-c", program]
        var env = ProcessInfo.processInfo.environment
        env["PICOCTL_INVENTORY"] = nil
        env["XDG_CONFIG_HOME"] = dir.path
        process.environment = env.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }.sorted()
    }

    @Test func bashOffersFirmwareFilesByExtension() throws {
        #expect(try bash(["flash", ""]) == ["app.bin", "app.elf", "app.uf2", "sub"])
        #expect(try bash(["info", "app."]) == ["app.bin", "app.elf", "app.uf2"])
        #expect(try bash(["uf2", "validate", ""]) == ["app.uf2", "sub"])
        #expect(try bash(["verify", "--config", ""]) == ["lab.toml", "sub"])
    }

    @Test func bashOffersFamiliesAndTimestampFormats() throws {
        #expect(try bash(["uf2", "convert", "--family", "rp2350-"]) == ["rp2350-arm-ns", "rp2350-arm-s", "rp2350-riscv"])
        #expect(try bash(["info", "--family", ""]).contains("rp2040"))
        #expect(try bash(["monitor", "--timestamps", ""]) == ["delta", "epoch", "iso", "mono", "wall"])
        #expect(try bash(["flash", "--timestamps", ""]) == ["delta", "epoch", "iso", "mono", "wall"])
        #expect(try bash(["doctor", "--color", ""]) == ["always", "auto", "never"])
    }

    @Test func bashOffersInventoryNamesForSerial() throws {
        let inventory = dir.appendingPathComponent("lab.toml").path
        #expect(try bash(["flash", "--serial", ""], environment: ["PICOCTL_INVENTORY": inventory]).prefix(2) == ["bench-3", "left-rig"])
        #expect(try bash(["erase", "--inventory", inventory, "--serial", "b"]) == ["bench-3"])
        #expect(try bash(["monitor", "--serial", "l"], environment: ["PICOCTL_INVENTORY": inventory]) == ["left-rig"])
    }

    /// A folder holding `picoctl` (a link to the binary under test), for the shells to find by name.
    var binFolder: URL {
        get throws {
            let url = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + "-bin")
            try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let link = url.appendingPathComponent("picoctl")
            if !FileManager.default.fileExists(atPath: link.path) {
                try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: Binary.url.path)
            }
            return url
        }
    }

    /// Runs `shell` with `arguments` in the fixture folder, picoctl on the PATH; its output lines.
    func runShell(_ shell: String, _ arguments: [String], inventory: String? = nil) throws -> [String] {
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = try binFolder.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["PICOCTL_INVENTORY"] = inventory
        // The shells' own files (fish makes its config folder) go beside the fixture folder, not in it.
        env["XDG_CONFIG_HOME"] = try binFolder.path
        env["XDG_DATA_HOME"] = try binFolder.path
        env["HOME"] = try binFolder.path
        let result = try Binary.run(["/usr/bin/timeout", "60", shell] + arguments, environment: env, timeout: 90, direct: true, in: dir)
        #expect(result.status == 0, "\(shell) \(arguments): \(result.status) \(result.stderr)")
        #expect(!result.stderr.contains("picoctl:"), "picoctl complained while completing: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// What fish offers for `line` (the text before the cursor), descriptions dropped.
    func fish(_ line: String, inventory: String? = nil) throws -> [String] {
        let scriptFile = try binFolder.appendingPathComponent("picoctl.fish")
        try script("fish").write(to: scriptFile, atomically: true, encoding: .utf8)
        let quoted = "'" + line.replacingOccurrences(of: "'", with: "\\'") + "'"
        return try runShell("fish", ["--no-config", "-c", "source '\(scriptFile.path)'; complete -C \(quoted)"], inventory: inventory)
            .map { String($0.split(separator: "\t", maxSplits: 1).first ?? "") }.sorted()
    }

    /// What zsh's completion system offers for `line`: an interactive `zsh -f` on a pseudo-terminal
    /// (`zpty`) loads the script from `fpath` with `compinit`, `line` and Tab are typed, and every
    /// candidate handed to `compadd` is printed between markers.
    func zsh(_ line: String, inventory: String? = nil) throws -> [String] {
        let functions = try binFolder.appendingPathComponent("zfunc")
        try FileManager.default.createDirectory(at: functions, withIntermediateDirectories: true)
        try script("zsh").write(to: functions.appendingPathComponent("_picoctl"), atomically: true, encoding: .utf8)
        let capture = try binFolder.appendingPathComponent("capture.zsh")
        try #"""
            zmodload zsh/zpty
            zpty z zsh -f -i
            zpty -w z "PS1='' PROMPT_EOL_MARK=''; fpath=($2 \$fpath); autoload -Uz compinit; compinit -u -D"
            zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
            zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a __hits; builtin compadd -A __hits "$@"; for h in $__hits; do print -r -- "<<$h>>"; done; builtin compadd "$@" }'
            zpty -w z "print -r -- '<<READY>>'"
            zpty -r z line '*<<READY>>*'
            zpty -w -n z "$1"$'	'
            zpty -w z $'\C-U'"print -r -- '<<DONE>>'"
            zpty -r z out '*<<DONE>>*'
            zpty -d z
            print -r -- "$out" | grep -o '<<[^>]*>>' | grep -v -e '<<DONE>>' -e '<<READY>>' | sed 's/^<<//; s/>>$//' | sort -u
            """#.write(to: capture, atomically: true, encoding: .utf8)
        return try runShell("zsh", ["-f", capture.path, line, functions.path], inventory: inventory).sorted()
    }

    static let hasFish = FileManager.default.isExecutableFile(atPath: "/usr/bin/fish")
    static let hasZsh = FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh")

    @Test(.enabled(if: hasFish)) func fishOffersFilesFamiliesAndInventoryNames() throws {
        let files = try fish("picoctl flash ")
        #expect(files == ["app.bin", "app.elf", "app.uf2", "sub/"], "\(files)")
        #expect(try fish("picoctl uf2 convert --family rp2350-") == ["rp2350-arm-ns", "rp2350-arm-s", "rp2350-riscv"])
        #expect(try fish("picoctl monitor --timestamps ") == ["delta", "epoch", "iso", "mono", "wall"])
        // The names come from picoctl itself (`---completion`), which fish 3 could not call before.
        let inventory = dir.appendingPathComponent("lab.toml").path
        #expect(try fish("picoctl flash --serial ", inventory: inventory).prefix(2) == ["bench-3", "left-rig"])
        #expect(try fish("picoctl monitor --serial l", inventory: inventory) == ["left-rig"])
    }

    @Test(.enabled(if: hasZsh)) func zshOffersFilesFamiliesAndInventoryNames() throws {
        #expect(try zsh("picoctl flash ") == ["app.bin", "app.elf", "app.uf2", "sub"])
        #expect(try zsh("picoctl uf2 validate ") == ["app.uf2", "sub"])
        #expect(try zsh("picoctl uf2 convert --family rp2350-") == ["rp2350-arm-ns", "rp2350-arm-s", "rp2350-riscv"])
        #expect(try zsh("picoctl monitor --timestamps ") == ["delta", "epoch", "iso", "mono", "wall"])
        let inventory = dir.appendingPathComponent("lab.toml").path
        #expect(try zsh("picoctl flash --serial ", inventory: inventory).prefix(2) == ["bench-3", "left-rig"])
    }

    @Test func zshAndFishCallTheSameHooks() throws {
        let zsh = try script("zsh"), fish = try script("fish")
        for text in [zsh, fish] {
            #expect(text.contains("---completion flash -- --serial"))
            #expect(text.contains("---completion flash -- --port"))
            #expect(text.contains("rp2350-arm-s") && text.contains("mono"))
            #expect(!text.contains("manual"), "the hidden man page command is not offered")
        }
        #expect(zsh.contains("*.uf2") || zsh.contains("'uf2'"))
        #expect(fish.contains("uf2") && fish.contains("elf") && fish.contains("bin"))
    }
}

/// The man page `picoctl manual` prints (installed as picoctl(1) by Scripts/install.sh).
@Suite struct ManualTests {
    @Test func hasEverySectionAndTheRealExitStatusTable() throws {
        let result = try Binary.run(["manual"], environment: ["SOURCE_DATE_EPOCH": "0"])
        #expect(result.status == 0)
        let page = result.stdout
        #expect(page.hasPrefix(".TH PICOCTL 1 \"1970-01-01\""))
        let sections = page.split(separator: "\n").filter { $0.hasPrefix(".SH ") }.map { String($0.dropFirst(4)) }
        #expect(sections == ["NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"])
        for command in ["info", "uf2 validate", "uf2 convert", "list", "flash", "save", "verify", "erase", "reboot", "monitor", "doctor"] {
            #expect(page.contains(".SS \"picoctl \(command)\""), "\(command)")
        }
        #expect(!page.contains("picoctl manual") && !page.contains(".SS \"picoctl help\""))
        for (status, meaning) in [("64", "bad command line"), ("130", "interrupted"), ("11", "monitor \\-\\-timeout"), ("6", "permission denied")] {
            #expect(page.contains(".TP\n.B \(status)\n\(meaning)"), "\(status)")
        }
        for name in ["PICOCTL_INVENTORY", "NO_COLOR", "XDG_CONFIG_HOME"] { #expect(page.contains(".B \(name)\n")) }
        for file in ["config.toml", "boards.toml", "60\\-picoctl.rules"] { #expect(page.contains(file), "\(file)") }
        #expect(page.contains(".B picoctl flash app.uf2 \\-\\-serial bench\\-3"))
        #expect(page.contains("\\fB\\-\\-serial\\fR \\fIid\\fR"))
    }

    @Test func rendersWithoutWarnings() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") else { return }
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("picoctl-\(UUID().uuidString).1")
        try Binary.run(["manual"]).stdout.write(to: page, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: page) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/groff")
        process.arguments = ["-man", "-Tutf8", "-ww", "-z", page.path]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let warnings = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && warnings.isEmpty, "\(warnings)")
    }
}
