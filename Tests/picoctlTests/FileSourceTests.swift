#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import picoctl

/// A firmware file read by offset must stay the file it was when opened: a write in place under a
/// running command (a build writing it anew while it is flashed) is seen, a replacement by rename is not
/// a change of the open file.
@Suite struct FileSourceTests {
    func scratchFile(_ bytes: [UInt8]) -> String {
        var template = Array("/tmp/picoctl-filesource-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(cString: template)
    }

    func rewrite(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_TRUNC)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test func aFileWrittenAgainInPlaceIsAChange() throws {
        let path = scratchFile([UInt8](repeating: 0xAA, count: 4096))
        defer { unlink(path) }
        let source = try #require(try FileSource(path, type: .bin))
        #expect(source.changeSinceOpened() == nil)
        #expect(source.bytes(at: 0, count: 4) == [0xAA, 0xAA, 0xAA, 0xAA])
        // The same size, other bytes: only the modification time tells (file times move at the kernel's tick).
        usleep(20_000)
        rewrite(path, [UInt8](repeating: 0x55, count: 4096))
        #expect(source.changeSinceOpened()?.contains("written again") == true)
    }

    @Test func aFileOfAnotherSizeIsAChange() throws {
        let path = scratchFile([UInt8](repeating: 0xAA, count: 4096))
        defer { unlink(path) }
        let source = try #require(try FileSource(path, type: .bin))
        rewrite(path, [UInt8](repeating: 0xAA, count: 100))
        #expect(source.changeSinceOpened()?.contains("4096 bytes, now 100") == true)
    }

    @Test func aFileReplacedByARenameLeavesTheOpenOneAsItWas() throws {
        let path = scratchFile([UInt8](repeating: 0xAA, count: 4096))
        let other = scratchFile([UInt8](repeating: 0x55, count: 4096))
        defer { unlink(path) }
        let source = try #require(try FileSource(path, type: .bin))
        usleep(20_000)
        #expect(rename(other, path) == 0)
        #expect(source.changeSinceOpened() == nil)
        #expect(source.bytes(at: 0, count: 2) == [0xAA, 0xAA])
    }
}
