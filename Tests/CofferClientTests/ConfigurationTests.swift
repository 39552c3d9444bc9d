import CofferClient
import Testing

@Suite struct ConfigurationTests {
    @Test func yamlSubset() throws {
        let text = """
            # comment
            mysql:
              host: "db.internal"   # quoted
              port: 3306
              tags:
                - a
                - b
            empty:
            url: http://x:8080/path
            quote: 'it''s'
            """
        let leaves = try SimpleYAML.leaves(text, file: "c.yaml")
        let values = Dictionary(uniqueKeysWithValues: leaves.map { ($0.path.joined(separator: "."), $0.value) })
        #expect(values == ["mysql.host": "db.internal", "mysql.port": "3306", "mysql.tags": "a,b", "empty": "", "url": "http://x:8080/path", "quote": "it's"])
        #expect(throws: AWSClientError.self) { try SimpleYAML.leaves("a: &anchor 1\n", file: "c.yaml") }
        #expect(throws: AWSClientError.self) { try SimpleYAML.leaves("just text\n", file: "c.yaml") }
    }

    @Test func higherLayersWinAndSecretnessSticks() {
        let hierarchy = ConfigurationHierarchy(layers: [
            .init(name: "ssm", values: ["DB_PASSWORD": ("p1", "ssm:/a", true)]),
            .init(name: "env", values: ["DB_PASSWORD": ("p2", "env", false), "DB_HOST": ("h", "env", false)]),
            .init(name: "yaml", values: ["DB_HOST": ("y", "yaml", false), "DB_PORT": ("1", "yaml", false)]),
        ])
        let resolved = hierarchy.resolve()
        #expect(resolved.map(\.key) == ["DB_HOST", "DB_PASSWORD", "DB_PORT"])
        #expect(resolved[0].value == "h" && resolved[0].shadowed == ["yaml"])
        #expect(resolved[1].value == "p1" && resolved[1].secret)
        #expect(ConfigurationHierarchy.key(["mysql", "db-host"]) == "MYSQL_DB_HOST")
    }
}
