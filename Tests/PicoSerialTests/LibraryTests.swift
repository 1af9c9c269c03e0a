import Testing
@testable import PicoSerial

@Suite struct LibUDevLinkTests {
    @Test func libudevInitialises() {
        #expect(PicoSerial.udevAvailable)
    }
}
