import Testing
@testable import BackupDomain

@Suite struct ElementWriterTests {
    func names(_ text: String) -> [TableName] {
        text.split(separator: " ").map { part in
            let pieces = part.split(separator: ".")
            return TableName(database: String(pieces[0]), table: String(pieces[1]))
        }
    }

    func sql(_ elements: [BackupElement]) -> String { elements.map { $0.sql() }.joined(separator: ", ") }

    @Test func wholeAndMostlySelectedDatabasesAreWrittenAsDatabases() {
        let available = names("a.x a.y a.z b.p b.q c.only")
        #expect(sql(ElementWriter.elements(selected: names("a.x a.y a.z c.only"), available: available))
                == "DATABASE `a`, DATABASE `c`")
        #expect(sql(ElementWriter.elements(selected: names("a.x a.y"), available: available))
                == "DATABASE `a` EXCEPT TABLES `a`.`z`")
        #expect(sql(ElementWriter.elements(selected: names("b.p"), available: available)) == "TABLE `b`.`p`")
        // A view's inner table is never an exception: it travels with its view.
        let withInner = names("a.x") + [TableName(database: "a", table: ".inner_id.1")]
        #expect(sql(ElementWriter.elements(selected: names("a.x"), available: withInner)) == "DATABASE `a`")
    }

    @Test func aRestoreWritesWholeOnlyTheDatabasesTheBackupHoldsAndRenames() {
        let available = names("a.x a.y b.p")
        #expect(sql(ElementWriter.elements(selected: available, available: available, wholeDatabases: ["b"], renames: ["a": "a2", "b": "b2"]))
                == "TABLE `a`.`x` AS `a2`.`x`, TABLE `a`.`y` AS `a2`.`y`, DATABASE `b` AS `b2`")
        #expect(sql(ElementWriter.elements(selected: names("system.query_log"), available: names("system.query_log"))) == "TABLE `system`.`query_log`")
        // One table of three, from a database the backup holds whole: its definition comes back.
        #expect(sql(ElementWriter.elements(selected: names("b.p"), available: names("b.p b.q b.r"), wholeDatabases: ["b"], preferWhole: true))
                == "DATABASE `b` EXCEPT TABLES `b`.`q`, `b`.`r`")
    }

    @Test func theDatabasesAStatementHoldsWhole() {
        #expect(ElementWriter.wholeDatabases(of: [.database("a"), .table(TableName(database: "b", table: "t"))], tables: []) == ["a"])
        #expect(ElementWriter.wholeDatabases(of: [.all(exceptDatabases: ["system"])], tables: names("a.x b.y system.z")) == ["a", "b"])
    }
}
