// Simple properties of a text, one number per character, that a unit might track (the
// quote, line-length and bracket cells of Karpathy, Johnson & Fei-Fei 2015). Each value
// describes the text up to and including that character — what the model has read when
// its state at that position is computed — so a unit can only track it causally.

/// A property of the text: one value per token.
public struct TextProperty: Sendable {
    /// Short identifier (JSON key, page label).
    public let name: String
    /// What the value means, for people.
    public let summary: String
    public let values: [Double]

    public init(name: String, summary: String, values: [Double]) {
        self.name = name
        self.summary = summary
        self.values = values
    }

    /// Whether the property varies over the text (a constant one cannot be correlated).
    public var varies: Bool {
        guard let first = values.first else { return false }
        return values.contains { $0 != first }
    }
}

public enum TextProperties {
    /// The standard set over `tokens` (each token's text: a character, or a byte's scalar):
    /// inside quotes, bracket depth, position in the line, start of a word, position in the
    /// word, upper-case letter, a line in capitals so far (a speaker's name in a play, a constant
    /// in code), white space, vowel.
    public static func standard(_ tokens: [String]) -> [TextProperty] {
        let N = tokens.count
        var quote = [Double](repeating: 0, count: N), depth = quote, column = quote, wordStart = quote
        var wordPosition = quote, upper = quote, space = quote, vowel = quote, capsLine = quote
        var inQuote = false, brackets = 0, col = 0, inWord = 0
        // Whether the current line has letters and all of them so far are capitals.
        var lineLetters = 0, lineLower = false
        var previousIsLetter = false
        for (t, token) in tokens.enumerated() {
            let ch = token.first
            // Straight double quotes toggle; typographic ones open and close.
            switch token {
            case "\"": inQuote.toggle()
            case "“": inQuote = true
            case "”": inQuote = false
            default: break
            }
            // A closing quote ends the quotation at its own position: value 0 there, like the
            // character after it; an opening one is already inside.
            quote[t] = inQuote ? 1 : 0
            switch token {
            case "(", "[", "{": brackets += 1
            case ")", "]", "}": brackets = max(0, brackets - 1)
            default: break
            }
            depth[t] = Double(brackets)
            col = token == "\n" ? 0 : col + 1
            column[t] = Double(col)
            let letter = ch.map { $0.isLetter || ($0 == "'" && previousIsLetter) } ?? false
            inWord = letter ? inWord + 1 : 0
            wordStart[t] = letter && !previousIsLetter ? 1 : 0
            wordPosition[t] = Double(inWord)
            upper[t] = ch?.isUppercase == true ? 1 : 0
            space[t] = ch?.isWhitespace == true ? 1 : 0
            vowel[t] = ch.map { "aeiouAEIOU".contains($0) } == true ? 1 : 0
            if token == "\n" { lineLetters = 0; lineLower = false }
            if let ch, ch.isLetter { lineLetters += 1; lineLower = lineLower || !ch.isUppercase }
            capsLine[t] = lineLetters > 0 && !lineLower ? 1 : 0
            previousIsLetter = letter
        }
        return [
            TextProperty(
                name: "in_quotes", summary: "1 inside double quotes (the opening quote included), else 0",
                values: quote),
            TextProperty(name: "bracket_depth", summary: "how many ( [ { are open", values: depth),
            TextProperty(
                name: "line_position", summary: "characters since the last newline (0 at a newline)",
                values: column),
            TextProperty(name: "word_start", summary: "1 at the first letter of a word", values: wordStart),
            TextProperty(
                name: "word_position", summary: "letters so far in the current word (0 outside words)",
                values: wordPosition),
            TextProperty(name: "uppercase", summary: "1 at an upper-case letter", values: upper),
            TextProperty(
                name: "caps_line", summary: "1 while every letter of the line so far is a capital",
                values: capsLine),
            TextProperty(name: "whitespace", summary: "1 at a space, tab or newline", values: space),
            TextProperty(name: "vowel", summary: "1 at a, e, i, o, u (either case)", values: vowel),
        ]
    }
}
