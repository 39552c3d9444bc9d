extension Tag {
    /// The lengths AWS's models allow a tag (key 1-128 characters, value up to 256), refused as
    /// their validation errors; `member` names the tag's place in the request, e.g. `tags.1.member`.
    public static func checkLengths(_ tags: [Tag], member: (Int) -> String) throws(CofferError) {
        for (index, tag) in tags.enumerated() {
            if !(1...128).contains(tag.key.count) {
                throw .constraint(tag.key, member: "\(member(index)).key",
                                  "Member must have length \(tag.key.isEmpty ? "greater than or equal to 1" : "less than or equal to 128")")
            }
            if tag.value.count > 256 {
                throw .constraint(tag.value, member: "\(member(index)).value", "Member must have length less than or equal to 256")
            }
        }
    }
}
