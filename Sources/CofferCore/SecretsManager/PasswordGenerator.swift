/// GetRandomPassword's generator.
public struct PasswordOptions: Sendable, Equatable {
    public var length = 32
    public var excludeCharacters = ""
    public var excludeNumbers = false
    public var excludePunctuation = false
    public var excludeUppercase = false
    public var excludeLowercase = false
    public var includeSpace = false
    public var requireEachIncludedType = true
    public init() {}
}

public enum PasswordGenerator {
    static let lowercase = Array("abcdefghijklmnopqrstuvwxyz")
    static let uppercase = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Array("0123456789")
    static let punctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    public static func generate(_ options: PasswordOptions, random: any RandomSource) throws(CofferError) -> String {
        let excluded = Set(options.excludeCharacters)
        var classes: [[Character]] = []
        if !options.excludeLowercase { classes.append(lowercase) }
        if !options.excludeUppercase { classes.append(uppercase) }
        if !options.excludeNumbers { classes.append(digits) }
        if !options.excludePunctuation { classes.append(punctuation) }
        if options.includeSpace { classes.append([" "]) }
        classes = classes.map { $0.filter { !excluded.contains($0) } }.filter { !$0.isEmpty }
        let pool = classes.flatMap { $0 }
        guard !pool.isEmpty else {
            throw .invalidParameter("The password must include at least one character type that is not excluded.")
        }
        // A space, when asked for, is not one of the types that must each appear; it comes on top.
        let required = classes.filter { $0 != [" "] }
        if options.requireEachIncludedType, options.length < required.count {
            throw .invalidParameter("Password length is too short based on the required types.")
        }
        var password = (0..<options.length).map { _ in pool[random.uniform(pool.count)] }
        if options.requireEachIncludedType {
            // Give each type its own position, chosen at random, so every type appears without
            // making the first characters predictable; an asked-for space goes first while room lasts.
            var positions = Array(0..<options.length)
            let wanted = (classes.contains([" "]) ? [[Character(" ")]] : []) + required
            for cls in wanted where !positions.isEmpty {
                let pick = random.uniform(positions.count)
                password[positions.remove(at: pick)] = cls[random.uniform(cls.count)]
            }
        }
        return String(password)
    }
}
