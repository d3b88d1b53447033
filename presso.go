// Package presso holds the vocabulary shared by presso's services: orders and
// their states, the identities that act on them, the event envelope that
// travels over the bus, and the few kinds of error every layer speaks.
//
// The services themselves live in their own packages (config, validator,
// counting, orders, publisher); this package has no behaviour beyond small
// helpers on these types, so any of them can import it without cycles.
package presso

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an error by what the caller can do about it. The web
// package maps each kind to exactly one HTTP status.
type Kind int

const (
	KindInternal        Kind = iota // a bug or an outage; the message is not shown
	KindInvalid                     // the request itself is wrong (400)
	KindUnauthenticated             // no or expired session (401)
	KindForbidden                   // signed in, but not allowed (403)
	KindNotFound                    // no such thing, or not visible to the caller (404)
	KindConflict                    // the state moved on: sold out, already made (409)
	KindExpired                     // it existed but its time is over (410)
	KindClosed                      // the bar is closed (423)
	KindLimited                     // the caller is over a limit (429)
	KindUnavailable                 // try again later: busy or a dependency is down (503)
)

// Error is an error a client may see. Code is a stable machine-readable
// name ("sold_out"); Field names the offending input, if any; RetryAt tells
// when trying again makes sense.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	RetryAt time.Time
	Err     error // cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of the given kind.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is shorthand for a 400 naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound names what was not found.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: CodeNotFound, Message: what + " not found"}
}

// KindOf reports the kind of err; errors that are not *Error are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// State is where an order is in its workflow.
type State string

const (
	StateWaiting   State = "waiting"   // redeemed a code, choosing a drink
	StateQueued    State = "queued"    // numbered, waiting for a barista
	StateMaking    State = "making"    // a barista is making it
	StateCompleted State = "completed" // ready for pickup
	StateCancelled State = "cancelled"
	StateTimedOut  State = "timed_out"
)

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool {
	return s == StateCompleted || s == StateCancelled || s == StateTimedOut
}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool {
	switch s {
	case StateWaiting, StateQueued, StateMaking, StateCompleted, StateCancelled, StateTimedOut:
		return true
	}
	return false
}

// Causes: whose wait ran out for a timed-out order, or who cancelled a
// cancelled one.
const (
	CauseCustomer = "customer"
	CauseBarista  = "barista"
)

// Roles. Customers have role "customer"; staff one of the others.
const (
	RoleAdmin    = "admin"
	RoleBarista  = "barista"
	RoleDisplay  = "display"
	RoleCustomer = "customer"
)

// Identity is who is making a request. It only ever comes from the
// server-side session, never from a request body.
type Identity struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // "staff" or "customer"
	Name    string `json:"name"`
	Role    string `json:"role"`
	EventID string `json:"eventId"` // the bar a barista or display belongs to
}

// Staff reports whether the identity is a staff account.
func (id Identity) Staff() bool { return id.Kind == "staff" }

// StaffOf reports whether the identity may act as staff of the bar: admins
// everywhere, baristas and displays at their own bar.
func (id Identity) StaffOf(eventID string) bool {
	return id.Staff() && (id.Role == RoleAdmin || id.EventID == eventID)
}

// BaristaOf reports whether the identity may work the bar's orders.
func (id Identity) BaristaOf(eventID string) bool {
	return id.Role == RoleAdmin || (id.Role == RoleBarista && id.EventID == eventID)
}

// Order is the order manager's view of one order.
type Order struct {
	ID          string     `json:"id"`
	EventID     string     `json:"eventId"`
	UserID      string     `json:"userId"`
	UserName    string     `json:"userName"`
	State       State      `json:"state"`
	Cause       string     `json:"cause"`
	Number      int64      `json:"number"`
	Drink       *Drink     `json:"drink"`
	BaristaID   string     `json:"baristaId"`
	BaristaName string     `json:"baristaName"`
	CreatedAt   time.Time  `json:"createdAt"`
	SubmittedAt *time.Time `json:"submittedAt"`
	MadeAt      *time.Time `json:"madeAt"`
	FinishedAt  *time.Time `json:"finishedAt"`
	CollectedAt *time.Time `json:"collectedAt"` // a completed order was picked up
	CalledAt    *time.Time `json:"calledAt"`    // a barista last called its customer to pick it up
	Walkup      bool       `json:"walkup"`      // taken at the bar for someone without a phone
	Deadline    *time.Time `json:"deadline"`
	Position    int        `json:"position,omitempty"`
	Day         string     `json:"-"` // the bar-local day it counts against the customer's limit
	Exempt      bool       `json:"-"` // placed by staff: not counted against a limit
	Version     int64      `json:"-"` // optimistic concurrency for transitions

	// EstimatedReadyAt is when a queued or making order should be ready,
	// from the bar's recent pace (orders.Estimate); absent when there is
	// too little recent data to say. It is worked out, never stored.
	EstimatedReadyAt *time.Time `json:"estimatedReadyAt,omitempty"`
}

// Drink is the chosen drink with its resolved modifiers.
type Drink struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Icon      string     `json:"icon"`
	Modifiers []Modifier `json:"modifiers"`
}

// Modifier is one chosen option of one modifier group.
type Modifier struct {
	Group      string `json:"group"`
	GroupName  string `json:"groupName"`
	Option     string `json:"option"`
	OptionName string `json:"optionName"`
}

// Envelope is one event as it travels the bus and the real-time channels.
// Subject on the bus is "presso.<EventID>.<DetailType>", and DetailType is
// "<Source>.<Name>" as in the original.
type Envelope struct {
	ID         string         `json:"id"`
	Source     string         `json:"source"`
	DetailType string         `json:"detailType"`
	Time       time.Time      `json:"time"`
	EventID    string         `json:"eventId"`
	Detail     map[string]any `json:"detail"`
}

// Subject is the bus subject of the envelope.
func (e Envelope) Subject() string { return Subject(e.EventID, e.DetailType) }

// Subject is the one place a bus subject is built: "presso.<eventId>.<detailType>".
// A detailType of ">" or "Source.>" makes the filter for a bar's events.
func Subject(eventID, detailType string) string { return "presso." + eventID + "." + detailType }

// Detail types, as in the original (V1 names for completed and cancelled).
const (
	ValidatorNewOrder               = "Validator.NewOrder"
	OrderProcessorWorkflowStarted   = "OrderProcessor.WorkflowStarted"
	OrderProcessorShopUnavailable   = "OrderProcessor.ShopUnavailable"
	OrderProcessorWaitingCompletion = "OrderProcessor.WaitingCompletion"
	OrderProcessorOrderTimeOut      = "OrderProcessor.OrderTimeOut"
	OrderProcessorOrderFinished     = "OrderProcessor.orderFinished"
	OrderManagerWaitingCompletion   = "OrderManager.WaitingCompletion"
	OrderManagerMakeOrder           = "OrderManager.MakeOrder"
	OrderManagerOrderCompleted      = "OrderManager.OrderCompleted"
	OrderManagerOrderCancelled      = "OrderManager.OrderCancelled"
	OrderManagerOrderCollected      = "OrderManager.OrderCollected" // new: a ready order was picked up
	OrderManagerOrderCalled         = "OrderManager.OrderCalled"    // new: a barista called the customer of a ready order again
	ConfigServiceConfigChanged      = "ConfigService.ConfigChanged"
	AuthServiceSessionsEnded        = "AuthService.SessionsEnded" // new: sessions signed out; the publisher ends their streams and shows it to no one
)

// NewEnvelope builds an event with a fresh id. Source is the part of the
// detail type before the dot, as in the original's rules.
func NewEnvelope(detailType, eventID string, now time.Time, detail map[string]any) Envelope {
	source, _, _ := strings.Cut(detailType, ".")
	detail["eventId"] = eventID
	return Envelope{ID: NewID("ev"), Source: source, DetailType: detailType, Time: now.UTC(), EventID: eventID, Detail: detail}
}
