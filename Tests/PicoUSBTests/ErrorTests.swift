import PicoBoot
import Testing
@testable import PicoUSB

@Suite struct ErrorTests {
    @Test(arguments: [
        (LibUSBError.pipe, USBTransportError.stall), (.timeout, .timeout), (.noDevice, .disconnected),
        (.access, .accessDenied), (.busy, .busy), (.overflow, .overflow),
    ])
    func mapsToTransportErrors(_ code: LibUSBError, _ expected: USBTransportError) {
        #expect(code.transportError == expected)
    }

    @Test func otherErrorsKeepTheLibraryName() {
        #expect(LibUSBError.io.transportError == .other(name: "LIBUSB_ERROR_IO", code: -1))
        #expect(LibUSBError.access.description == "LIBUSB_ERROR_ACCESS (-3)")
    }

    @Test func accessErrorNamesTheUdevRule() {
        let error = PicoUSBError(.open, device: "bus 1 address 4 (port 1-3.2)", code: .access)
        #expect(error.description.hasPrefix("cannot open the device on bus 1 address 4 (port 1-3.2): LIBUSB_ERROR_ACCESS"))
        #expect(error.fix?.contains("/etc/udev/rules.d/") == true)
        #expect(error.fix?.contains("picoctl doctor") == true)
    }

    @Test func busyErrorNamesAnotherProcess() {
        let error = PicoUSBError(.claimInterface, device: "bus 1 address 4", code: .busy, detail: "interface 1")
        #expect(error.description.contains("claim the interface"))
        #expect(error.description.contains("(interface 1)"))
        #expect(error.fix?.contains("another process") == true)
    }

    @Test func timeoutsAreNeverZero() {
        #expect(USBDeviceHandle.milliseconds(.zero) == 1)
        #expect(USBDeviceHandle.milliseconds(.milliseconds(1500)) == 1500)
        #expect(USBDeviceHandle.milliseconds(.seconds(10)) == 10_000)
    }

    @Test func linksAgainstLibUSB() {
        #expect(PicoUSB.libraryVersion.hasPrefix("1.0."))
    }
}
