/// Seeded pseudo-English (ASCII): words, sentences, lines; a corpus for tests of training.
public func pseudoEnglish(characters: Int, seed: UInt64 = 5) -> String {
    let words =
        "the of and to in is was that for it with as his on be at by had are but from or have an they which one you were all she there would their we him been has when who will more no if out so said what up its"
        .split(separator: " ")
    var rng = SeededRandom(seed: seed)
    var out = ""
    while out.count < characters {
        let n = 3 + rng.below(8)
        var s = (0..<n).map { _ in String(words[rng.below(words.count)]) }
        s[0] = s[0].prefix(1).uppercased() + s[0].dropFirst()
        out += s.joined(separator: " ") + (rng.below(3) == 0 ? ".\n" : ". ")
    }
    return String(out.prefix(characters))
}
