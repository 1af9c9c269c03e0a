#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import Testing
@testable import PicoSerial

/// Reads from `port` until `count` bytes arrived or two seconds passed.
func readAll(_ port: SerialPort, count: Int) throws -> [UInt8] {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Timestamp.monotonicNow() + 2_000_000_000
    while received.count < count && Timestamp.monotonicNow() < deadline {
        var pfd = pollfd(fd: port.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
        _ = poll(&pfd, 1, 100)
        let n = try port.read(into: &buffer)
        received += buffer[0..<n]
    }
    return received
}

@Suite struct SerialPortTests {
    @Test func opensRawNonBlockingWithoutControllingTerminal() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort.open(pty.slavePath)
        defer { port.close() }
        var tio = termios()
        #expect(tcgetattr(port.fileDescriptor.rawValue, &tio) == 0)
        #expect(tio.c_lflag & tcflag_t(ICANON | ECHO | ISIG) == 0, "raw: no line editing, echo or signals")
        #expect(tio.c_iflag & tcflag_t(ICRNL | IXON) == 0, "raw: no CR translation or flow control")
        #expect(tio.c_oflag & tcflag_t(OPOST) == 0)
        #expect(tio.c_cflag & tcflag_t(CLOCAL | CREAD) == tcflag_t(CLOCAL | CREAD))
        #expect(cfgetospeed(&tio) == speed_t(B115200))
        let flags = fcntl(port.fileDescriptor.rawValue, F_GETFL)
        #expect(flags & O_NONBLOCK != 0)
        #expect(fcntl(port.fileDescriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func dtrOnAPtyIsReportedUnsupportedNotFatal() throws {
        // A pty refuses TIOCMBIS with ENOTTY, exactly as an emulated ttyACM does under umockdev.
        let pty = try PseudoTerminal()
        let port = try SerialPort.open(pty.slavePath)
        #expect(port.dtr == .unsupported)
        let untouched = try SerialPort.open(pty.slavePath, options: .init(assertDTR: false))
        #expect(untouched.dtr == .untouched)
    }

    @Test func bytesFlowBothWaysUnchanged() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort.open(pty.slavePath)
        let all = (0...255).map(UInt8.init)
        try pty.write(all)
        #expect(try readAll(port, count: 256) == all, "raw mode passes every byte value, CR and ^C included")
        try port.write(Array("reboot\r".utf8))
        #expect(try pty.read() == Array("reboot\r".utf8))
    }

    @Test func readWithNothingPendingReturnsZero() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort.open(pty.slavePath)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(try port.read(into: &buffer) == 0)
    }

    @Test func hangUpIsADisconnect() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort.open(pty.slavePath)
        pty.close()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect {
            try port.read(into: &buffer)
        } throws: { ($0 as? SerialError)?.isDisconnect == true }
    }

    @Test func baudIsPassedToThePort() throws {
        let pty = try PseudoTerminal()
        _ = try SerialPort.open(pty.slavePath, options: .init(baud: 921_600))
        #expect(pty.outputSpeed == speed_t(B921600))
        #expect(throws: SerialError.unsupportedBaud(12345)) { try SerialPort.open(pty.slavePath, options: .init(baud: 12345)) }
    }

    @Test func touch1200LeavesThePortAt1200Baud() throws {
        let pty = try PseudoTerminal()
        try SerialPort.touch1200(pty.slavePath)
        #expect(pty.outputSpeed == speed_t(B1200))
    }

    @Test func missingNodeSaysWhy() {
        #expect {
            try SerialPort.open("/dev/ttyACM-not-here")
        } throws: { error in
            guard let error = error as? SerialError else { return false }
            return error == .openFailed(path: "/dev/ttyACM-not-here", errno: .noSuchFileOrDirectory)
                && error.description.contains("not connected")
        }
    }
}
