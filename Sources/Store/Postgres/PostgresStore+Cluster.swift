import Foundation
import PostgresNIO

extension PostgresStore: ClusterStore {
    public func registerInstance(_ instance: InstanceRecord) async throws {
        try await run("""
            INSERT INTO cluster_instances (id, host, pid, version, started_at, heartbeat_at)
            VALUES (\(instance.id), \(instance.host), \(instance.pid), \(instance.version), \(instance.startedAt.millis),
                    \(instance.heartbeatAt.millis))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """)
    }

    public func heartbeat(instance id: String, at now: Date) async throws {
        try await transaction { connection in
            _ = try await connection.rows("UPDATE cluster_instances SET heartbeat_at = \(now.millis) WHERE id = \(id)", logger: logger)
            _ = try await connection.rows("DELETE FROM cluster_instances WHERE heartbeat_at < \(now.millis - SQLText.forgetInstancesAfterMillis)",
                                          logger: logger)
        }
    }

    public func instances(heartbeatAfter since: Date) async throws -> [InstanceRecord] {
        try await rows("""
            SELECT id, host, pid, version, started_at, heartbeat_at FROM cluster_instances WHERE heartbeat_at > \(since.millis)
            ORDER BY started_at, id
            """).map { row in
            let (id, host, pid, version, started, heartbeat) = try row.decode((String, String, Int, String, Int64, Int64).self)
            return InstanceRecord(id: id, host: host, pid: pid, version: version, startedAt: Date(millis: started),
                                  heartbeatAt: Date(millis: heartbeat))
        }
    }

    public func acquireRole(_ role: ClusterRole, lease: Lease) async throws -> Bool {
        var binds = PostgresBindings()
        binds.append(role.rawValue)
        binds.append(lease.owner)
        binds.append(lease.until.millis)
        binds.append(lease.now.millis)
        return try await !rows(PostgresQuery(unsafeSQL: SQLText.acquireRole, binds: binds)).isEmpty
    }

    public func roles() async throws -> [RoleRecord] {
        try await rows("SELECT role, owner, until FROM cluster_roles ORDER BY role").compactMap { row in
            let (role, owner, until) = try row.decode((String, String, Int64).self)
            return ClusterRole(rawValue: role).map { RoleRecord(role: $0, owner: owner, until: Date(millis: until)) }
        }
    }

    public func releaseAll(owner: String) async throws {
        let logger = self.logger
        try await transaction { connection in
            for statement in SQLText.releaseAll {
                var binds = PostgresBindings()
                binds.append(owner)
                _ = try await connection.rows(PostgresQuery(unsafeSQL: statement, binds: binds), logger: logger)
            }
        }
    }
}
