import Alerts
@testable import Config
import Foundation
import Store
import Testing

/// The alert lifecycle as a pure function: no database, no clock but the `now` passed in.
@Suite("Alert state machine")
struct AlertStateMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func rule(_ threshold: Threshold = .above(0.5, resolveBelow: 0.3), for duration: Duration = .zero,
              cooldown: Duration = .seconds(600), minItems: Int = 2) -> AlertRule {
        AlertRule(id: "neg", metric: .negativeShare, window: .seconds(3600), threshold: threshold, minItems: minItems, cooldown: cooldown,
                  forDuration: duration, entities: [], severity: .critical, webhooks: [])
    }

    func metrics(share: Double, volume: Int = 10) -> EntityMetrics {
        EntityMetrics(symbol: "CTSO", window: .seconds(3600), volume: volume, sentiment: 0, risk: 0, negativeShare: share, burst: 0,
                      itemRisk: 0, negatives: Int(share * Double(volume)))
    }

    /// Runs the machine over (seconds after t0, negative share, silenced) steps, carrying the alert row along.
    func run(_ machine: AlertStateMachine, _ steps: [(Double, Double, Bool)]) -> [(AlertEventKind, WebhookEventType?)?] {
        var alert: AlertRecord?
        return steps.map { at, share, silenced in
            let t = machine.step(current: alert, symbol: "CTSO", metrics: metrics(share: share), silenced: silenced, now: t0 + at)
            if let t { alert = t.alert }
            return t.map { ($0.event, $0.notification) }
        }
    }

    @Test("resolved → pending → firing after `for`; repeats only after the cooldown; startsAt stays when it began")
    func pendingThenFiring() {
        let machine = AlertStateMachine(rule: rule(for: .seconds(60)))
        let pending = machine.step(current: nil, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0)
        #expect(pending?.event == .pending && pending?.notification == nil && pending?.alert.state == .pending)
        #expect(machine.step(current: pending?.alert, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0 + 59) == nil)
        let firing = machine.step(current: pending?.alert, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0 + 60)
        #expect(firing?.event == .firing && firing?.notification == .alertFiring)
        #expect(firing?.alert.startedAt == t0 && firing?.alert.firedAt == t0 + 60 && firing?.alert.lastNotifiedAt == t0 + 60)
        #expect(machine.step(current: firing?.alert, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0 + 659) == nil)
        let repeated = machine.step(current: firing?.alert, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0 + 660)
        #expect(repeated?.notification == .alertFiring && repeated?.alert.startedAt == t0 && repeated?.alert.firedAt == t0 + 60)
    }

    @Test("hysteresis: an `above` alert resolves only below resolveBelow, a `below` alert only above resolveAbove")
    func hysteresis() {
        let above = run(AlertStateMachine(rule: rule()), [(0, 0.6, false), (1, 0.4, false), (2, 0.29, false)])
        #expect(above.map { $0?.0 } == [.firing, nil, .resolved])
        #expect(above.last??.1 == .alertResolved)
        let below = run(AlertStateMachine(rule: rule(.below(0.2, resolveAbove: 0.4))), [(0, 0.1, false), (1, 0.3, false), (2, 0.41, false)])
        #expect(below.map { $0?.0 } == [.firing, nil, .resolved])
        let plain = run(AlertStateMachine(rule: rule(.above(0.5, resolveBelow: nil))), [(0, 0.6, false), (1, 0.5, false), (2, 0.49, false)])
        #expect(plain.map { $0?.0 } == [.firing, nil, .resolved], "without resolveBelow the threshold itself resolves")
    }

    @Test("a pending alert whose condition clears is cancelled, stored as resolved, and nobody is told")
    func cancelled() {
        let machine = AlertStateMachine(rule: rule(for: .seconds(60)))
        let pending = machine.step(current: nil, symbol: "CTSO", metrics: metrics(share: 0.8), silenced: false, now: t0)
        let cancelled = machine.step(current: pending?.alert, symbol: "CTSO", metrics: metrics(share: 0.1), silenced: false, now: t0 + 5)
        #expect(cancelled?.event == .cancelled && cancelled?.notification == nil && cancelled?.alert.state == .resolved)
    }

    @Test("minItems: a thin window neither fires nor keeps an alert firing")
    func thinWindow() {
        let machine = AlertStateMachine(rule: rule(minItems: 5))
        #expect(machine.step(current: nil, symbol: "CTSO", metrics: metrics(share: 1, volume: 4), silenced: false, now: t0) == nil)
        let firing = machine.step(current: nil, symbol: "CTSO", metrics: metrics(share: 1, volume: 5), silenced: false, now: t0)
        let thin = machine.step(current: firing?.alert, symbol: "CTSO", metrics: metrics(share: 1, volume: 4), silenced: false, now: t0 + 1)
        #expect(thin?.event == .resolved)
    }

    @Test("silenced: changes are recorded, nothing is sent; a resolution is sent only for a firing that was")
    func silenced() {
        let steps = run(AlertStateMachine(rule: rule()), [(0, 0.8, true), (700, 0.8, true), (800, 0.8, false), (900, 0.1, false)])
        #expect(steps.map { $0?.0 } == [.firing, nil, .firing, .resolved])
        #expect(steps.map { $0?.1 } == [nil, nil, .alertFiring, .alertResolved])
        let quiet = run(AlertStateMachine(rule: rule()), [(0, 0.8, true), (10, 0.1, false)])
        #expect(quiet.map { $0?.1 } == [nil, nil], "never announced firing: the resolution is not announced either")
    }

    @Test("source health: the failure that makes a feed unhealthy fires; the first good answer after it resolves; otherwise nothing")
    func sourceHealth() {
        let fire = AlertStateMachine.sourceHealth(current: nil, feed: "wire", turnsUnhealthy: true, recovered: false, streak: 3, now: t0)
        #expect(fire?.alert.fingerprint == "source:wire" && fire?.alert.kind == .source && fire?.notification == .sourceUnhealthy)
        #expect(fire?.alert.value == 3)
        let resolve = AlertStateMachine.sourceHealth(current: fire?.alert, feed: "wire", turnsUnhealthy: false, recovered: true, streak: 0,
                                                     now: t0 + 60)
        #expect(resolve?.event == .resolved && resolve?.notification == .alertResolved && resolve?.alert.resolvedAt == t0 + 60)
        #expect(AlertStateMachine.sourceHealth(current: resolve?.alert, feed: "wire", turnsUnhealthy: false, recovered: true, streak: 0,
                                               now: t0 + 61) == nil, "already resolved")
        #expect(AlertStateMachine.sourceHealth(current: nil, feed: "wire", turnsUnhealthy: false, recovered: true, streak: 0, now: t0) == nil)
    }

    @Test("fingerprints are stable per rule and symbol, and unchanged from earlier versions")
    func fingerprints() {
        #expect(AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO") == AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO"))
        #expect(AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO") != AlertStateMachine.fingerprint(rule: "neg", symbol: "ACME"))
        // The same text as earlier versions wrote, so alerts in existing databases are found again.
        #expect(AlertStateMachine.fingerprint(rule: "neg", symbol: "CTSO") == "5f0471f738267867")
    }
}
