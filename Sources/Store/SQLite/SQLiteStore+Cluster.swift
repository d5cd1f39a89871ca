import Foundation
import GRDB

extension SQLiteStore: ClusterStore {
    public func registerInstance(_ instance: InstanceRecord) async throws {
        try await pool.write { db in
            // One monitord uses an SQLite file at a time (`SQLiteDaemonLock`): whatever other
            // processes left claimed was left by a process that is gone, so it is free again at once.
            try db.execute(sql: "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            try db.execute(sql: "UPDATE items SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL")
            try db.execute(sql: "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            try db.execute(sql: "DELETE FROM cluster_roles")
            try db.execute(sql: "DELETE FROM cluster_instances")
            try db.execute(sql: """
                INSERT INTO cluster_instances (id, host, pid, version, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [instance.id, instance.host, instance.pid, instance.version, instance.startedAt.millis,
                                 instance.heartbeatAt.millis])
        }
    }

    public func heartbeat(instance id: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE cluster_instances SET heartbeat_at = ? WHERE id = ?", arguments: [now.millis, id])
            try db.execute(sql: "DELETE FROM cluster_instances WHERE heartbeat_at < ?", arguments: [now.millis - SQLText.forgetInstancesAfterMillis])
        }
    }

    public func instances(heartbeatAfter since: Date) async throws -> [InstanceRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cluster_instances WHERE heartbeat_at > ? ORDER BY started_at, id",
                             arguments: [since.millis]).map { row in
                InstanceRecord(id: row["id"], host: row["host"], pid: row["pid"], version: row["version"],
                               startedAt: Date(millis: row["started_at"]), heartbeatAt: Date(millis: row["heartbeat_at"]))
            }
        }
    }

    public func acquireRole(_ role: ClusterRole, lease: Lease) async throws -> Bool {
        try await pool.write { db in
            try String.fetchOne(db, sql: SQLText.sqlite(SQLText.acquireRole),
                                arguments: [role.rawValue, lease.owner, lease.until.millis, lease.now.millis]) != nil
        }
    }

    public func roles() async throws -> [RoleRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT role, owner, until FROM cluster_roles ORDER BY role").compactMap { row in
                ClusterRole(rawValue: row["role"]).map { RoleRecord(role: $0, owner: row["owner"], until: Date(millis: row["until"])) }
            }
        }
    }

    public func releaseAll(owner: String) async throws {
        try await pool.write { db in
            for statement in SQLText.releaseAll {
                try db.execute(sql: SQLText.sqlite(statement), arguments: [owner])
            }
        }
    }
}
