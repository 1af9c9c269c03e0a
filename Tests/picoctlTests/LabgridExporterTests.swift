import Testing
@testable import picoctl

/// The files `picoctl lab labgrid-exporter` writes: the exporter YAML and, with `--ser2net`, ser2net's.
@Suite struct LabgridExporterTests {
    let byID = "/dev/serial/by-id/usb-Raspberry_Pi_Pico_E6605481DB484636-if00"
    let byPath = "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.3:1.0"

    @Test func aBoardNamedByUniqueIDIsServedThroughItsByIDLink() {
        #expect(Ser2netConsole.link(namedByUniqueID: true, ttyLinks: [byPath, byID], idPath: "pci-0000:00:14.0-usb-0:1.3") == byID)
    }

    @Test func aBoardNamedByPortIsServedThroughItsByPathLink() {
        #expect(Ser2netConsole.link(namedByUniqueID: false, ttyLinks: [byID, byPath], idPath: "pci-0000:00:14.0-usb-0:1.3") == byPath)
    }

    @Test func withoutATtyTheLinkIsUdevsByPathLinkForInterfaceZero() {
        // A board in BOOTSEL has no tty: the link udev's 60-serial.rules will make for its CDC interface 0.
        #expect(Ser2netConsole.link(namedByUniqueID: true, ttyLinks: [], idPath: "pci-0000:00:14.0-usb-0:1.3") == byPath)
        #expect(Ser2netConsole.link(namedByUniqueID: false, ttyLinks: [], idPath: "pci-0000:00:14.0-usb-0:1.3") == byPath)
    }

    @Test func noLinkWithoutUdevOrForAPathSer2netWouldSplit() {
        #expect(Ser2netConsole.link(namedByUniqueID: false, ttyLinks: [], idPath: nil) == nil)
        #expect(Ser2netConsole.link(namedByUniqueID: true, ttyLinks: ["/dev/serial/by-id/a,b"], idPath: nil) == nil)
        #expect(Ser2netConsole.link(namedByUniqueID: true, ttyLinks: ["/dev/serial/by-id/a b"], idPath: nil) == nil)
        #expect(Ser2netConsole.isPlainPath(byID) && Ser2netConsole.isPlainPath(byPath))
    }

    @Test func portsFollowInventoryPositions() {
        #expect(Ser2netConsole.port(base: 30_000, inventoryIndex: 0) == 30_000)
        #expect(Ser2netConsole.port(base: 30_000, inventoryIndex: 3) == 30_003)
    }

    @Test func ser2netConfigurationHasOneConnectionPerConsole() {
        let text = Ser2netConsole.configuration([
            Ser2netConsole(name: "bench-3", device: byID, port: 30_000, speed: 115_200),
            Ser2netConsole(name: "left rig", device: byPath, port: 30_002, speed: 921_600),
        ])
        #expect(text == """
            %YAML 1.1
            ---
            # ser2net configuration from `picoctl lab labgrid-exporter --ser2net`: one connection per board,
            # on a fixed TCP port, through udev's link to the board's tty (opened per connection, so it
            # follows the board across resets).

            connection: &bench-3
              accepter: telnet(rfc2217,mode=server),tcp,30000
              connector: serialdev(nouucplock=true),\(byID),115200n81,local
              options:
                max-connections: 10

            connection: &left_rig
              accepter: telnet(rfc2217,mode=server),tcp,30002
              connector: serialdev(nouucplock=true),\(byPath),921600n81,local
              options:
                max-connections: 10

            """)
    }

    @Test func withoutConsolesTheConfigurationIsAnEmptyMapping() {
        #expect(Ser2netConsole.configuration([]).hasSuffix("follows the board across resets).\n{}\n"))
    }

    @Test func namesThatCollideAsAnchorsGetTheirPort() {
        let text = Ser2netConsole.configuration([
            Ser2netConsole(name: "a b", device: byID, port: 30_000, speed: 115_200),
            Ser2netConsole(name: "a_b", device: byPath, port: 30_001, speed: 115_200),
        ])
        #expect(text.contains("connection: &a_b\n") && text.contains("connection: &a_b-30001\n"))
    }

    @Test func exporterYAMLPublishesAFixedConsoleAsANetworkSerialPort() {
        var fixed = LabgridGroup(name: "bench-3", uniqueID: "E6605481DB484636", portPath: "1-1.3", idPath: "pci-0000:00:14.0-usb-0:1.3")
        fixed.console = Ser2netConsole(name: "bench-3", device: byID, port: 30_000, speed: 115_200)
        let served = LabgridGroup(name: "rig", uniqueID: nil, portPath: "1-2", idPath: "pci-0000:00:14.0-usb-0:2")
        #expect(LabgridGroup.exporterYAML([fixed, served], speed: 115_200) == """
            ## labgrid exporter configuration from `picoctl lab labgrid-exporter`: one group per board.
            bench-3:
              console:
                cls: NetworkSerialPort
                host: "{{ hostname }}"
                port: 30000
                speed: 115200
                protocol: rfc2217
              usb:
                cls: USBFlashableDevice
                match:
                  "ID_PATH": "pci-0000:00:14.0-usb-0:1.3"
                  "DEVTYPE": "usb_device"
            rig:
              console:
                cls: USBSerialPort
                match:
                  "@ID_PATH": "pci-0000:00:14.0-usb-0:2"
                speed: 115200
              usb:
                cls: USBFlashableDevice
                match:
                  "ID_PATH": "pci-0000:00:14.0-usb-0:2"
                  "DEVTYPE": "usb_device"

            """)
    }

    @Test func withoutIDPathTheExporterMatchesTheSysfsName() {
        let bare = LabgridGroup(name: "rig", uniqueID: nil, portPath: "1-2", idPath: nil)
        let yaml = LabgridGroup.exporterYAML([bare], speed: 115_200)
        #expect(yaml.contains("    match:\n      \"@sys_name\": \"1-2\"\n    speed: 115200\n"))
        #expect(yaml.contains("    match:\n      \"sys_name\": \"1-2\"\n      \"DEVTYPE\": \"usb_device\"\n"))
    }
}
