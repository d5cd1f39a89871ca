/// How a store opens its database (both backends).
public enum StoreOpenMode: Sendable {
    /// monitord: create the database if needed (the SQLite file and its folder) and apply the migrations.
    case createAndMigrate
    /// monitorctl's writing commands: an existing, up-to-date database only.
    case existing
    /// monitorctl's reading commands: an existing, up-to-date database, read-only.
    case readOnly
}
