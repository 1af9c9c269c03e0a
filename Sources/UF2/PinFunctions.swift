/// Names of GPIO functions as `picotool info` prints them (`UART0 TX`, `I2C1 SCL`, `PIO0`, ...).
///
/// Function numbers are the SDK's `GPIO_FUNC_*` values: RP2040 1 SPI, 2 UART, 3 I2C, 4 PWM,
/// 5 SIO, 6 PIO0, 7 PIO1, 8 clocks, 9 USB; RP2350 0 JTAG/HSTX, 1-7 as RP2040, 8 PIO2,
/// 9 XIP CS1/trace/clocks, 10 USB, 11 UART auxiliary.
public enum PinFunctions {
    /// The name of function number `function` on `pin`; `Unknown pin function N` where the chip has none.
    public static func name(function: Int, pin: Int, rp2040: Bool) -> String {
        guard pin >= 0, pin < (rp2040 ? 30 : 48), let name = known(function: function, pin: pin, rp2040: rp2040) else {
            return "Unknown pin function \(function)"
        }
        return name
    }

    private static func known(function: Int, pin: Int, rp2040: Bool) -> String? {
        let uartInstance = ((pin + 4) >> 3) & 1
        switch (rp2040, function) {
        case (_, 1): return "SPI\((pin >> 3) & 1) \(["RX", "CSn", "SCK", "TX"][pin & 3])"
        case (_, 2): return "UART\(uartInstance) \(["TX", "RX", "CTS", "RTS"][pin & 3])"
        case (_, 3): return "I2C\((pin >> 1) & 1) \(pin & 1 == 0 ? "SDA" : "SCL")"
        case (_, 4): return "PWM\(pin < 32 ? (pin >> 1) & 7 : 8 + (((pin - 32) >> 1) & 3)) \(pin & 1 == 0 ? "A" : "B")"
        case (_, 5): return "SIO"
        case (_, 6): return "PIO0"
        case (_, 7): return "PIO1"
        case (true, 8): return rp2040Clocks[pin]
        case (true, 9), (false, 10): return ["USB OVCUR DET", "USB VBUS DET", "USB VBUS EN"][pin % 3]
        case (false, 0): return pin < 4 ? ["JTAG TCK", "JTAG TMS", "JTAG TDI", "JTAG TDO"][pin] : (12...19).contains(pin) ? "HSTX\(pin - 12)" : nil
        case (false, 8): return "PIO2"
        case (false, 9): return rp2350Function9[pin]
        case (false, 11): return pin & 3 >= 2 ? "UART\(uartInstance) \(pin & 1 == 0 ? "TX" : "RX")" : nil
        default: return nil
        }
    }

    private static let rp2040Clocks: [Int: String] = [
        20: "CLOCK GPIN0", 21: "CLOCK GPOUT0", 22: "CLOCK GPIN1", 23: "CLOCK GPOUT1", 24: "CLOCK GPOUT2", 25: "CLOCK GPOUT3",
    ]

    private static let rp2350Function9: [Int: String] = [
        0: "XIP CS1", 1: "CORESIGHT TRACECLK", 2: "CORESIGHT TRACEDATA0", 3: "CORESIGHT TDATA1", 4: "CORESIGHT TDATA2",
        5: "CORESIGHT TDATA3", 8: "XIP CS1", 12: "CLK GPIN", 13: "CLK GPOUT", 14: "CLK GPIN", 15: "CLK GPOUT", 19: "XIP CS1",
        20: "CLK GPIN", 21: "CLK GPOUT", 22: "CLK GPIN", 23: "CLK GPOUT", 24: "CLK GPOUT", 25: "CLK GPOUT", 47: "XIP CS1",
    ]
}
