import Logging

/// Opens the store a `DatabaseLocation` names, on either backend.
public enum StoreOpener {
    public static func open(_ location: DatabaseLocation, mode: StoreOpenMode, maxConnections: Int = 10,
                            logger: Logger = Logger(label: "store")) async throws -> any MonitorStore {
        switch location {
        case let .sqlite(path):
            return try await SQLiteStore.open(path: path, mode: mode)
        case let .postgres(server):
            return try await PostgresStore.open(server, mode: mode, maximumConnections: maxConnections, logger: logger)
        }
    }
}
