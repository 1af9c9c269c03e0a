import Testing
@testable import PicoUSB

@Suite struct SelectionTests {
    let lab = [Fixtures.rp2040Bootsel(port: "1-3.2", address: 4), Fixtures.rp2040Bootsel(port: "1-3.3", address: 7),
               Fixtures.rp2040App(serial: "E6605481DB484636", port: "2-1"),
               PicoDevice(classifying: Fixtures.device(0x2e8a, 0x000c, Fixtures.cdc, serial: "PROBE", port: "1-6"))!]

    @Test func severalBoardsAndNoSelectorIsRefused() {
        guard case .several(let boards) = BoardSelection(selecting: BoardSelector(), from: lab) else {
            Issue.record("expected a refusal"); return
        }
        #expect(boards.count == 3, "the debugprobe is not a candidate")
    }

    @Test func portPathSelectsOneOfTwoIdenticalRP2040s() {
        #expect(BoardSelection(selecting: BoardSelector(port: USBPortPath("1-3.3")), from: lab) == .one(lab[1]))
    }

    @Test func sharedBootselSerialMatchesBoth() {
        guard case .several(let boards) = BoardSelection(selecting: BoardSelector(serial: "e0c912d24340"), from: lab) else {
            Issue.record("expected several"); return
        }
        #expect(boards.map(\.usb.portPath.description) == ["1-3.2", "1-3.3"])
    }

    @Test func serialIsCaseInsensitive() {
        #expect(BoardSelection(selecting: BoardSelector(serial: "e6605481db484636"), from: lab) == .one(lab[2]))
    }

    @Test func busAndAddress() {
        #expect(BoardSelection(selecting: BoardSelector(bus: 1, address: 7), from: lab) == .one(lab[1]))
        #expect(BoardSelection(selecting: BoardSelector(bus: 2, address: 7), from: lab) == .none(candidates: Array(lab.prefix(3))))
    }

    @Test func debugprobeIsNeverSelected() {
        #expect(BoardSelection(selecting: BoardSelector(serial: "PROBE"), from: lab) == .none(candidates: Array(lab.prefix(3))))
    }

    @Test func describesTheSelector() {
        #expect(BoardSelector(serial: "X", port: USBPortPath("1-2")).description == "--serial X --port 1-2")
        #expect(BoardSelector().description == "(no selector)")
    }
}
