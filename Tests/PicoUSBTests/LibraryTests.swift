import Testing
@testable import PicoUSB

@Suite struct LibUSBLinkTests {
    @Test func linksAgainstLibUSB() {
        #expect(PicoUSB.libraryVersion.hasPrefix("1.0."))
    }
}
