import Testing
@testable import PicoBoot

@Suite struct TransportErrorTests {
    @Test func errorsCompare() {
        #expect(USBTransportError.stall != .timeout)
        #expect(USBTransportError.other(name: "LIBUSB_ERROR_IO", code: -1) == .other(name: "LIBUSB_ERROR_IO", code: -1))
    }
}
