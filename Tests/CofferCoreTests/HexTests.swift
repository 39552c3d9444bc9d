import CofferCore
import Testing

@Suite struct HexTests {
    /// `isDigit` agrees with the digits' set on every byte (a folded letter past `f`, or a byte
    /// above 0x80 whose low bits spell a digit, must not pass).
    @Test func digitsAreExactlyTheSixteenInEitherCase() {
        let digits = Set("0123456789abcdefABCDEF".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(Hex.isDigit(byte) == digits.contains(byte), "\(byte)")
        }
    }

    @Test func decodingAndEncodingRoundTrip() {
        let bytes: [UInt8] = [0x00, 0x0F, 0xA5, 0xFF]
        #expect(Hex.encode(bytes) == "000fa5ff")
        #expect(Hex.decode("000FA5ff") == bytes)
        #expect(Hex.decode("0g") == nil)
    }
}
