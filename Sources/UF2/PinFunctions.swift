/// Names of GPIO functions as `picotool info` prints them (`UART0 TX`, `I2C1 SCL`, `PIO0`, ...).
public enum PinFunctions {
    /// The name of function number `function` (the SDK's `GPIO_FUNC_*`) on `pin`.
    public static func name(function: Int, pin: Int, rp2040: Bool) -> String {
        let spi = ["RX", "CSn", "SCK", "TX"][pin & 3], uart = ["TX", "RX", "CTS", "RTS"][pin & 3]
        switch (rp2040, function) {
        case (true, 0): return "XIP"
        case (false, 0): return "HSTX"
        case (_, 1): return "SPI\((pin >> 3) & 1) \(spi)"
        case (_, 2): return "UART\((pin >> 2) & 1) \(uart)"
        case (_, 3): return "I2C\((pin >> 1) & 1) \(pin & 1 == 0 ? "SDA" : "SCL")"
        case (_, 4):
            let slice = pin < 32 ? (pin >> 1) & 7 : 8 + ((pin - 32) >> 1) & 3
            return "PWM\(slice) \(pin & 1 == 0 ? "A" : "B")"
        case (_, 5): return "SIO"
        case (_, 6): return "PIO0"
        case (_, 7): return "PIO1"
        case (true, 8), (false, 9): return "GPCK"
        case (true, 9), (false, 10): return "USB"
        case (false, 8): return "PIO2"
        case (false, 11): return pin & 3 >= 2 ? "UART\((pin >> 2) & 1) \(pin & 1 == 0 ? "TX" : "RX")" : "UART AUX"
        default: return "Unknown pin function \(function)"
        }
    }
}
