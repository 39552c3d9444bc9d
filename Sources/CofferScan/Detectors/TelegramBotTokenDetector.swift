/// Telegram bot tokens: the bot's numeric id, a colon, and 35 characters starting with AA
/// (`123456789:AAH...`). The keyword is `:AA`; the id is read backwards from it.
struct TelegramBotTokenDetector: Detector {
    var rules: [Rule] { [TokenRules.telegram] }
    let keywords = [":AA"]

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        guard text.matches(":AA", at: start) else { return }
        var idStart = start
        while idStart > 0, ByteClass.isDigit(text[idStart - 1]), start - idStart <= 10 { idStart -= 1 }
        guard (8...10).contains(start - idStart), !ByteClass.isAlnum(text.before(idStart)) else { return }
        let body = text.run(from: start + 1, limit: 36, ByteClass.isBase64URL)
        guard body == 35, !ByteClass.isBase64URL(text.at(start + 36)) else { return }
        let token = text.slice((start + 1)..<(start + 36))
        guard !PrefixTokenDetector.looksFake(token), Entropy.shannon(token) >= 4.0 else { return }
        found.append(Candidate(rule: TokenRules.telegram, secret: idStart..<(start + 36)))
    }
}
