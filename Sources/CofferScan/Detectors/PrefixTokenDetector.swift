/// Credentials that start with a fixed prefix and continue with a known alphabet and length:
/// GitHub, npm, GitLab, Slack, Stripe, Google, OpenAI, Anthropic, SendGrid, Twilio, PyPI. The
/// prefix is the keyword; the body is read forward from it; a validator (a checksum, a decoded
/// structure, a fixed marker) decides where the format has one.
struct PrefixToken: Sendable {
    let rule: Rule
    /// Exact, case-sensitive.
    let prefix: String
    let body: @Sendable (UInt8) -> Bool
    let length: ClosedRange<Int>
    /// Whether the byte before the prefix must not be a word character.
    var boundaryBefore = true
    /// Checks the whole token (prefix included); nil accepts.
    var validate: (@Sendable ([UInt8]) -> Bool)?
}

struct PrefixTokenDetector: Detector {
    let tokens: [PrefixToken]
    var rules: [Rule] { Array(Set(tokens.map(\.rule))) }
    var keywords: [String] { tokens.map(\.prefix) }

    func detect(_ text: ByteText, keyword: Int, start: Int, end: Int, into found: inout [Candidate]) {
        let token = tokens[keyword]
        guard exactPrefix(text, token, start) else { return }
        if token.boundaryBefore, ByteClass.isWord(text.before(start)) { return }
        let bodyLength = text.run(from: end, limit: token.length.upperBound + 1, token.body)
        guard token.length.contains(bodyLength) else { return }
        let range = start..<(end + bodyLength)
        let bytes = text.slice(range)
        if let validate = token.validate, !validate(bytes) { return }
        if Self.looksFake(Array(bytes.dropFirst(token.prefix.utf8.count))) { return }
        found.append(Candidate(rule: token.rule, secret: range))
    }

    private func exactPrefix(_ text: ByteText, _ token: PrefixToken, _ start: Int) -> Bool {
        var i = start
        for b in token.prefix.utf8 {
            guard i < text.count, text[i] == b else { return false }
            i += 1
        }
        return true
    }

    /// Documentation tokens: runs of x, EXAMPLE, one repeated character, a counting sequence.
    static let fakeMarks: [[UInt8]] = ["xxxxx", "example", "00000000", "abcdefgh"].map { Array($0.utf8) }

    static func looksFake(_ body: [UInt8]) -> Bool {
        let lower = body.map { ByteClass.isUpper($0) ? $0 | 0x20 : $0 }
        if fakeMarks.contains(where: { Bytes.contains(lower, $0) }) { return true }
        return Set(body).count <= 3 || Placeholders.isSequential(body)
    }
}

/// GitHub's and npm's token formats end in a CRC32 of the random part, in base62 (six characters).
enum TokenChecksum {
    static func crc32Base62(prefixLength: Int) -> @Sendable ([UInt8]) -> Bool {
        { token in
            guard token.count > prefixLength + 6 else { return false }
            let random = token[prefixLength..<(token.count - 6)]
            return Array(token.suffix(6)) == CRC32.base62(CRC32.checksum(random), width: 6)
        }
    }
}

enum TokenRules {
    static let github = Rule("github-token", "GitHub token", help: "Revoke it at github.com/settings/tokens and use a secret store or the CI's secrets.")
    static let githubFineGrained = Rule("github-fine-grained-token", "GitHub fine-grained personal access token",
                                        help: "Revoke it at github.com/settings/tokens and use a secret store or the CI's secrets.")
    static let npm = Rule("npm-token", "npm access token", help: "Revoke it with `npm token revoke` and keep it in the CI's secrets.")
    static let gitlab = Rule("gitlab-token", "GitLab token", help: "Revoke it in GitLab's access token settings.")
    static let slack = Rule("slack-token", "Slack token", help: "Revoke it in the Slack app's settings.")
    static let slackWebhook = Rule("slack-webhook", "Slack incoming webhook URL", help: "Regenerate the webhook in the Slack app's settings.")
    static let stripe = Rule("stripe-key", "Stripe secret or restricted key", help: "Roll the key in the Stripe dashboard.")
    static let google = Rule("google-api-key", "Google API key", help: "Delete or restrict the key in the Google Cloud console.")
    static let openai = Rule("openai-api-key", "OpenAI API key", help: "Revoke the key in the OpenAI dashboard.")
    static let anthropic = Rule("anthropic-api-key", "Anthropic API key", help: "Revoke the key in the Anthropic console.")
    static let sendgrid = Rule("sendgrid-api-key", "SendGrid API key", help: "Delete the key in SendGrid's settings.")
    static let twilio = Rule("twilio-api-key", "Twilio API key", help: "Delete the key in the Twilio console.")
    static let pypi = Rule("pypi-token", "PyPI API token", help: "Remove the token at pypi.org/manage/account/token.")
    static let huggingface = Rule("huggingface-token", "Hugging Face access token", help: "Revoke it at huggingface.co/settings/tokens.")
    static let shopify = Rule("shopify-token", "Shopify access token or shared secret", help: "Rotate it in the Shopify admin.")
    static let digitalocean = Rule("digitalocean-token", "DigitalOcean token", help: "Revoke it in the DigitalOcean control panel.")
    static let databricks = Rule("databricks-token", "Databricks access token", help: "Revoke it in the Databricks user settings.")
    static let vault = Rule("vault-token", "HashiCorp Vault token", help: "Revoke it with `vault token revoke`.")
    static let age = Rule("age-secret-key", "age secret key", help: "Make a new identity and re-encrypt what the old one opened.")
    static let postman = Rule("postman-api-key", "Postman API key", help: "Revoke it in Postman's API key settings.")
    static let atlassian = Rule("atlassian-api-token", "Atlassian API token", help: "Revoke it at id.atlassian.com.")
    static let mailgun = Rule("mailgun-api-key", "Mailgun API key", help: "Rotate it in the Mailgun control panel.")
    static let linear = Rule("linear-api-key", "Linear API key", help: "Revoke it in Linear's API settings.")
    static let doppler = Rule("doppler-token", "Doppler token", help: "Revoke it in the Doppler dashboard.")
    static let googleOAuth = Rule("google-oauth-client-secret", "Google OAuth client secret", help: "Reset the secret of the OAuth client in the Google Cloud console.")
    static let square = Rule("square-token", "Square access token or application secret", help: "Revoke it in the Square developer dashboard.")
    static let telegram = Rule("telegram-bot-token", "Telegram bot token", help: "Revoke it with @BotFather (/revoke).")
    static let newRelic = Rule("new-relic-key", "New Relic user API key", help: "Delete the key in New Relic's API keys page.")
    static let grafana = Rule("grafana-token", "Grafana service account or cloud token", help: "Delete the token in Grafana.")
    static let sentry = Rule("sentry-token", "Sentry auth token", help: "Revoke it in Sentry's auth token settings.")
    static let buildkite = Rule("buildkite-token", "Buildkite API token", help: "Revoke it in Buildkite's API access token settings.")

    static let alnum: @Sendable (UInt8) -> Bool = { ByteClass.isAlnum($0) }
    static let word: @Sendable (UInt8) -> Bool = { ByteClass.isWord($0) }
    static let wordDash: @Sendable (UInt8) -> Bool = { ByteClass.isWord($0) || $0 == UInt8(ascii: "-") }
    static let alnumDash: @Sendable (UInt8) -> Bool = { ByteClass.isAlnum($0) || $0 == UInt8(ascii: "-") }

    static let detector = PrefixTokenDetector(tokens: [
        PrefixToken(rule: github, prefix: "ghp_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: github, prefix: "gho_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: github, prefix: "ghu_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: github, prefix: "ghs_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: github, prefix: "ghr_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: githubFineGrained, prefix: "github_pat_", body: word, length: 82...82),
        PrefixToken(rule: npm, prefix: "npm_", body: alnum, length: 36...36, validate: TokenChecksum.crc32Base62(prefixLength: 4)),
        PrefixToken(rule: gitlab, prefix: "glpat-", body: wordDash, length: 20...300),
        PrefixToken(rule: gitlab, prefix: "glrt-", body: wordDash, length: 20...300),
        PrefixToken(rule: gitlab, prefix: "gldt-", body: wordDash, length: 20...300),
        PrefixToken(rule: slack, prefix: "xoxb-", body: alnumDash, length: 24...200, validate: SlackToken.valid),
        PrefixToken(rule: slack, prefix: "xoxp-", body: alnumDash, length: 24...200, validate: SlackToken.valid),
        PrefixToken(rule: slack, prefix: "xoxa-", body: alnumDash, length: 24...200, validate: SlackToken.valid),
        PrefixToken(rule: slack, prefix: "xoxe-", body: alnumDash, length: 24...200, validate: SlackToken.valid),
        PrefixToken(rule: slack, prefix: "xapp-", body: alnumDash, length: 24...200, validate: SlackToken.valid),
        PrefixToken(rule: slackWebhook, prefix: "https://hooks.slack.com/services/", body: { ByteClass.isAlnum($0) || $0 == UInt8(ascii: "/") },
                    length: 40...80, boundaryBefore: false, validate: SlackToken.webhook),
        PrefixToken(rule: stripe, prefix: "sk_live_", body: alnum, length: 20...247),
        PrefixToken(rule: stripe, prefix: "rk_live_", body: alnum, length: 20...247),
        PrefixToken(rule: stripe, prefix: "sk_test_", body: alnum, length: 20...247),
        PrefixToken(rule: google, prefix: "AIza", body: wordDash, length: 35...35),
        PrefixToken(rule: openai, prefix: "sk-proj-", body: wordDash, length: 40...300, validate: { String(decoding: $0, as: UTF8.self).contains("T3BlbkFJ") }),
        PrefixToken(rule: openai, prefix: "sk-svcacct-", body: wordDash, length: 40...300, validate: { String(decoding: $0, as: UTF8.self).contains("T3BlbkFJ") }),
        PrefixToken(rule: openai, prefix: "sk-admin-", body: wordDash, length: 40...300, validate: { String(decoding: $0, as: UTF8.self).contains("T3BlbkFJ") }),
        PrefixToken(rule: openai, prefix: "sk-", body: alnum, length: 48...48, validate: { Array($0[23..<31]) == Array("T3BlbkFJ".utf8) }),
        PrefixToken(rule: anthropic, prefix: "sk-ant-api03-", body: wordDash, length: 95...95, validate: { $0.suffix(2) == [65, 65] }),
        PrefixToken(rule: anthropic, prefix: "sk-ant-admin01-", body: wordDash, length: 95...95, validate: { $0.suffix(2) == [65, 65] }),
        PrefixToken(rule: sendgrid, prefix: "SG.", body: { ByteClass.isBase64URL($0) || $0 == UInt8(ascii: ".") }, length: 66...66,
                    validate: { $0.count == 69 && $0[25] == UInt8(ascii: ".") }),
        PrefixToken(rule: twilio, prefix: "SK", body: { ByteClass.isDigit($0) || ($0 >= 0x61 && $0 <= 0x66) }, length: 32...32),
        PrefixToken(rule: pypi, prefix: "pypi-AgEIcHlwaS5vcmc", body: wordDash, length: 50...1000),
        PrefixToken(rule: huggingface, prefix: "hf_", body: { ByteClass.isUpper($0) || ByteClass.isLower($0) }, length: 34...34,
                    validate: { $0.contains(where: ByteClass.isUpper) && $0.dropFirst(3).contains(where: ByteClass.isLower) }),
        PrefixToken(rule: shopify, prefix: "shpat_", body: hexLower, length: 32...32),
        PrefixToken(rule: shopify, prefix: "shpss_", body: hexLower, length: 32...32),
        PrefixToken(rule: shopify, prefix: "shpca_", body: hexLower, length: 32...32),
        PrefixToken(rule: shopify, prefix: "shppa_", body: hexLower, length: 32...32),
        PrefixToken(rule: digitalocean, prefix: "dop_v1_", body: hexLower, length: 64...64),
        PrefixToken(rule: digitalocean, prefix: "doo_v1_", body: hexLower, length: 64...64),
        PrefixToken(rule: databricks, prefix: "dapi", body: hexLower, length: 32...32),
        PrefixToken(rule: vault, prefix: "hvs.", body: wordDash, length: 90...120),
        PrefixToken(rule: vault, prefix: "hvb.", body: wordDash, length: 90...250),
        PrefixToken(rule: age, prefix: "AGE-SECRET-KEY-1", body: { ByteClass.isUpper($0) || ByteClass.isDigit($0) }, length: 58...58),
        PrefixToken(rule: postman, prefix: "PMAK-", body: { ByteClass.isHex($0) || $0 == UInt8(ascii: "-") }, length: 59...59,
                    validate: { $0.count == 64 && $0[29] == UInt8(ascii: "-") }),
        PrefixToken(rule: atlassian, prefix: "ATATT3", body: { ByteClass.isBase64URL($0) || $0 == UInt8(ascii: "=") }, length: 150...250,
                    validate: AtlassianToken.valid),
        PrefixToken(rule: mailgun, prefix: "key-", body: hexLower, length: 32...32),
        PrefixToken(rule: linear, prefix: "lin_api_", body: alnum, length: 40...40),
        PrefixToken(rule: doppler, prefix: "dp.pt.", body: alnum, length: 43...43),
        PrefixToken(rule: doppler, prefix: "dp.st.", body: { ByteClass.isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") },
                    length: 43...80),
    ])

    static let hexLower: @Sendable (UInt8) -> Bool = { ByteClass.isDigit($0) || ($0 >= 0x61 && $0 <= 0x66) }

    /// More formats, kept apart so the list above stays readable.
    static let more: [PrefixToken] = [
        PrefixToken(rule: googleOAuth, prefix: "GOCSPX-", body: wordDash, length: 28...28),
        PrefixToken(rule: square, prefix: "sq0atp-", body: wordDash, length: 22...22),
        PrefixToken(rule: square, prefix: "sq0csp-", body: wordDash, length: 43...43),
        PrefixToken(rule: square, prefix: "EAAA", body: wordDash, length: 60...60, validate: { $0.contains(where: ByteClass.isDigit) }),
        PrefixToken(rule: newRelic, prefix: "NRAK-", body: { ByteClass.isUpper($0) || ByteClass.isDigit($0) }, length: 27...27),
        PrefixToken(rule: grafana, prefix: "glsa_", body: { ByteClass.isAlnum($0) || $0 == UInt8(ascii: "_") }, length: 41...41,
                    validate: { $0[37] == UInt8(ascii: "_") }),
        PrefixToken(rule: grafana, prefix: "glc_", body: { ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") }, length: 32...400),
        PrefixToken(rule: sentry, prefix: "sntrys_", body: { ByteClass.isBase64($0) || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "_") },
                    length: 60...300),
        PrefixToken(rule: buildkite, prefix: "bkua_", body: hexLower, length: 40...40),
    ]
}

/// Atlassian API tokens end in eight hex digits: the CRC32 of everything before them.
enum AtlassianToken {
    static let valid: @Sendable ([UInt8]) -> Bool = { token in
        guard token.count > 8, let expected = UInt32(String(decoding: token.suffix(8), as: UTF8.self), radix: 16) else { return false }
        return CRC32.checksum(token.dropLast(8)) == expected
    }
}

enum SlackToken {
    /// `xoxb-DIGITS-DIGITS-...`: the numbered parts are what tell a token from prose.
    static let valid: @Sendable ([UInt8]) -> Bool = { token in
        let parts = token.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return false }
        return parts[1].count >= 1 && parts[1].allSatisfy(ByteClass.isDigit)
    }

    /// `https://hooks.slack.com/services/T.../B.../secret`: three path parts, the last 24 letters and digits.
    static let webhook: @Sendable ([UInt8]) -> Bool = { url in
        let path = url.dropFirst("https://hooks.slack.com/services/".utf8.count).split(separator: UInt8(ascii: "/"))
        guard path.count == 3, path[0].first == UInt8(ascii: "T"), path[1].first == UInt8(ascii: "B") else { return false }
        return path[2].count >= 20 && path[2].contains(where: ByteClass.isLower) && path[2].contains(where: ByteClass.isUpper)
    }
}
