import Testing
@testable import BackupDomain

@Suite struct TableSelectionTests {
    private func pattern(_ text: String) -> TablePattern { try! TablePattern(parsing: text) }
    private func name(_ db: String, _ table: String) -> TableName { TableName(database: db, table: table) }

    @Test func patternForms() throws {
        #expect(pattern("db.t").database == .glob("db") && pattern("db.t").table == .glob("t"))
        #expect(pattern("db.*").isWholeDatabase)
        #expect(pattern("*").matches(database: "anything", table: "at_all"))
        #expect(pattern("`my.db`.`t*`") == TablePattern(database: .literal("my.db"), table: .literal("t*"), source: "`my.db`.`t*`"))
        #expect(pattern(#""we""ird".t"#).database == .literal(#"we"ird"#))
        #expect(pattern(#"`a\`b`.c"#).database == .literal("a`b"))
        #expect(pattern("  db.t  ").matches(database: "db", table: "t"))
        #expect(throws: PatternError("must not be empty")) { try TablePattern(parsing: " ") }
        #expect(throws: PatternError("has text after the table name")) { try TablePattern(parsing: "a.b.c") }
        #expect(throws: PatternError("has an empty name part")) { try TablePattern(parsing: "db.") }
        #expect(throws: PatternError("has a quote inside an unquoted name")) { try TablePattern(parsing: "d`b.t") }
    }

    @Test func globs() {
        #expect(pattern("db.events_*").matches(database: "db", table: "events_2024"))
        #expect(!pattern("db.events_*").matches(database: "db", table: "event"))
        #expect(pattern("db?.t").matches(database: "db1", table: "t"))
        #expect(!pattern("db?.t").matches(database: "db", table: "t"))
        #expect(pattern("*.*_log").matches(database: "x", table: "query_log"))
        #expect(pattern("db.тест*").matches(database: "db", table: "тестовая"))
        #expect(!pattern("`db*`.t").matches(database: "dbx", table: "t"))  // quoted: literal
        // Backtracking stays cheap on adversarial globs.
        #expect(!Glob.matches(Array(String(repeating: "a*", count: 40) + "b"), Array(String(repeating: "a", count: 200))))
    }

    @Test func systemDatabasesAreExcludedUnlessNamed() {
        let tables = [name("system", "query_log"), name("INFORMATION_SCHEMA", "tables"), name("information_schema", "t"),
                      name("sales", "orders"), name("sales", "tmp")]
        #expect(TableFilter().select(from: tables) == [name("sales", "orders"), name("sales", "tmp")])
        #expect(TableFilter(whiteList: [pattern("*")]).select(from: tables) == [name("sales", "orders"), name("sales", "tmp")])
        #expect(TableFilter(whiteList: [pattern("sys*.*")]).select(from: tables).isEmpty)
        #expect(TableFilter(whiteList: [pattern("system.query_log")]).select(from: tables) == [name("system", "query_log")])
        #expect(TableFilter(blackList: [pattern("sales.tmp")]).select(from: tables) == [name("sales", "orders")])
    }

    @Test func staticFilters() {
        #expect(TableFilter().isStatic)
        #expect(TableFilter(whiteList: [pattern("a.*"), pattern("b.c")], blackList: [pattern("a.x")]).isStatic)
        #expect(!TableFilter(whiteList: [pattern("a.t*")]).isStatic)
        #expect(!TableFilter(whiteList: [pattern("*")]).isStatic)
        #expect(!TableFilter(blackList: [pattern("a.tmp_*")]).isStatic)
    }
}

extension TablePattern {
    init(database: Part, table: Part, source: String) {
        self = try! TablePattern(parsing: source)
        precondition(self.database == database && self.table == table)
    }
}
