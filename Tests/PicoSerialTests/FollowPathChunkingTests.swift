import Testing
@testable import PicoSerial

/// The follow path copies runs of text at once; these check it against the byte-at-a-time definition.
@Suite struct FollowPathChunkingTests {
    /// Deterministic pseudo-random bytes, rich in CR, LF and CR LF.
    static func stream(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            switch state >> 60 {
            case 0, 1: return 0x0D
            case 2, 3: return 0x0A
            default: return UInt8(0x61 + (state >> 32) % 26)
            }
        }
    }

    /// The stream cut into chunks of pseudo-random sizes 1...maxChunk.
    static func chunks(_ bytes: [UInt8], seed: UInt64, maxChunk: Int) -> [[UInt8]] {
        var state = seed
        var out: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let size = 1 + Int((state >> 33) % UInt64(maxChunk))
            out.append(Array(bytes[index..<min(bytes.count, index + size)]))
            index += size
        }
        return out
    }

    @Test(arguments: [1, 3, 7, 64])
    func runsGiveTheSameLinesAsBytes(maxLength: Int) {
        for seed: UInt64 in 1...20 {
            let bytes = Self.stream(seed: seed, count: 2_000)
            var byByte = LineAssembler(maxLength: maxLength)
            var expected: [Line] = []
            for byte in bytes { if let line = byByte.feed(byte) { expected.append(line) } }
            var byRun = LineAssembler(maxLength: maxLength)
            var lines: [Line] = []
            for chunk in Self.chunks(bytes, seed: seed, maxChunk: 50) { lines += byRun.feed(chunk) }
            #expect(lines == expected, "seed \(seed)")
            #expect(byRun.flush() == byByte.flush())
        }
    }

    @Test func formatterRunsGiveTheSameTextAsBytes() {
        let time = Timestamp(wallNanoseconds: 0, monotonicNanoseconds: 5_000)
        for seed: UInt64 in 1...20 {
            let bytes = Self.stream(seed: seed, count: 2_000)
            var byByte = ConsoleFormatter(options: .init(timestamps: .mono, label: "b"), start: 0)
            var expected: [UInt8] = []
            for byte in bytes { expected += byByte.format([byte], at: time) }
            var byRun = ConsoleFormatter(options: .init(timestamps: .mono, label: "b"), start: 0)
            var shown: [UInt8] = []
            for chunk in Self.chunks(bytes, seed: seed, maxChunk: 50) { shown += byRun.format(chunk, at: time) }
            #expect(shown == expected, "seed \(seed)")
        }
    }

    @Test func lineTimesAcrossChunks() {
        var machine = FollowerStateMachine(identity: BoardIdentity(devnode: "/dev/pts/9"), reconnect: true)
        let tty = SerialDevice(devnode: "/dev/pts/9")
        _ = machine.start(present: [tty], at: 0)
        _ = machine.opened(tty, dtr: .asserted, at: 1)
        func at(_ n: Int64) -> Timestamp { Timestamp(wallNanoseconds: n, monotonicNanoseconds: n) }
        var lines: [(String, Int64)] = []
        for (chunk, time) in [("a\r", 1), ("\nb", 2), ("c", 3), ("\nd\ne", 4), ("\r\n", 5), ("\n", 6)] as [(String, Int64)] {
            for case .line(let line, let start) in machine.received(Array(chunk.utf8), at: at(time)) {
                lines.append((line.text, start.monotonicNanoseconds))
            }
        }
        #expect(lines.map(\.0) == ["a", "bc", "d", "e", ""])
        #expect(lines.map(\.1) == [1, 2, 4, 4, 6])
    }
}
