import Testing
@testable import BackupDomain

@Suite struct JSONTests {
    @Test func parsesEveryType() throws {
        let value = try JSONParser.parse(#" {"a":[1,-2.5e3,true,false,null],"s":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","o":{}} "#)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["s"] == .string("x\"\\/\u{08}\u{0C}\n\r\té😀"))
        #expect(value["o"] == .object([:]))
    }

    /// Strings are decoded from their bytes at once, or (with escapes) built byte by byte:
    /// both give the same text, multi-byte characters and invalid bytes (U+FFFD) included.
    @Test func stringsWithAndWithoutEscapes() throws {
        #expect(try JSONParser.parse(#""système.tables ✓""#) == .string("système.tables ✓"))
        #expect(try JSONParser.parse(#""é\u00e9\n😀 ✓\"""#) == .string("é\u{e9}\n😀 ✓\""))
        #expect(try JSONParser.parse(#""\\""#) == .string("\\"))
        #expect(try JSONParser.parse([0x22, 0x61, 0xFF, 0x62, 0x22]) == .string("a\u{FFFD}b"))
        #expect(try JSONParser.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) == .string("\n\u{FFFD}"))
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(#""abc\n"#) }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("\"a\\n\u{01}\"") }
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"", "tru", "[] []", "{\"a\":1,}"] {
            #expect(throws: JSONParser.SyntaxError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParser.SyntaxError(offset: 128, reason: "nesting deeper than 128")) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONParser.parse(#"{"k":1,"k":2}"#)["k"] == .number("2"))
    }

    @Test func writerRoundTripsAndSortsKeys() throws {
        let text = #"{"b":[1,"two\n",null],"a":{"z":true,"c":"\u0001"}}"#
        let written = JSONWriter.string(try JSONParser.parse(text))
        #expect(written == #"{"a":{"c":"\u0001","z":true},"b":[1,"two\n",null]}"#)
        #expect(try JSONParser.parse(written) == JSONParser.parse(text))
    }
}

@Suite struct TimeTests {
    @Test func utcTime() {
        #expect(UTCTime(unixSeconds: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(UTCTime(unixSeconds: 951_782_400).iso8601 == "2000-02-29T00:00:00Z")
        #expect(UTCTime(unixSeconds: 1_795_356_987).compact == "20261122-141627")
        #expect(UTCTime(unixSeconds: -1).iso8601 == "1969-12-31T23:59:59Z")
    }
}
