package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"presso"
)

// AuditRow is one change as the audit keeps it: who, when, what, and a
// summary of the thing before and after (nil when there is none).
type AuditRow struct {
	Seq       int64          `json:"seq"`
	At        time.Time      `json:"at"`
	ActorID   string         `json:"actorId"`
	ActorName string         `json:"actorName"`
	Action    string         `json:"action"`
	EventID   string         `json:"eventId"`
	Target    string         `json:"target"`
	Before    map[string]any `json:"before"`
	After     map[string]any `json:"after"`
}

// Audit builds the audit row of a change made by who; a change made by
// presso itself (the first start's demo bar) is by "presso".
func Audit(who presso.Identity, at time.Time, action, eventID, target string, before, after map[string]any) AuditRow {
	name := who.Name
	if name == "" {
		name = "presso"
	}
	return AuditRow{At: at, ActorID: who.ID, ActorName: name, Action: action, EventID: eventID, Target: target,
		Before: before, After: after}
}

// AppendAudit writes one audit row in the transaction of the change it
// records, so a change and its row commit or fail together. Seq is
// assigned by the database and ignored here.
func (c *Tx) AppendAudit(ctx context.Context, r AuditRow) (err error) {
	defer wrap(&err, "store.AppendAudit")
	before, err := summaryJSON(r.Before)
	if err != nil {
		return err
	}
	after, err := summaryJSON(r.After)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO audit (
			at,
			actor_id,
			actor_name,
			action,
			event_id,
			target,
			before_json,
			after_json
		) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ms(r.At), r.ActorID, r.ActorName, r.Action, r.EventID, r.Target, before, after)
	return err
}

func summaryJSON(m map[string]any) (sql.NullString, error) {
	if m == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m)
	return sql.NullString{String: string(b), Valid: true}, err
}

const auditColumns = `seq, at, actor_id, actor_name, action, event_id, target, before_json, after_json`

// ListAudit returns up to limit rows, newest first, older than seq before
// (0: from the newest). An eventID of "*" lists every bar's rows and
// those of no bar; any other lists that bar's.
func (c conn) ListAudit(ctx context.Context, eventID string, before int64, limit int) (_ []AuditRow, err error) {
	defer wrap(&err, "store.ListAudit")
	if before <= 0 {
		before = 1<<63 - 1
	}
	if eventID == "*" {
		return collect(ctx, c.q, []AuditRow{}, `SELECT `+auditColumns+` FROM audit
			WHERE seq < $1 ORDER BY seq DESC LIMIT $2`, scanAudit, before, limit)
	}
	return collect(ctx, c.q, []AuditRow{}, `SELECT `+auditColumns+` FROM audit
		WHERE event_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, scanAudit, eventID, before, limit)
}

func scanAudit(row scanner) (AuditRow, error) {
	var r AuditRow
	var at int64
	var before, after sql.NullString
	if err := row.Scan(&r.Seq, &at, &r.ActorID, &r.ActorName, &r.Action, &r.EventID, &r.Target, &before, &after); err != nil {
		return r, err
	}
	r.At = fromMS(at)
	for _, s := range []struct {
		src sql.NullString
		dst *map[string]any
	}{{before, &r.Before}, {after, &r.After}} {
		if s.src.Valid {
			if err := json.Unmarshal([]byte(s.src.String), s.dst); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}
