package presso

// The error codes a client may see in {"error": {"code": ...}}. They are
// the API's contract: docs/api.md lists exactly these (a test in web
// checks it), so a new code is added here and documented there.
const (
	CodeInvalid         = "invalid"         // a request field is wrong; Field names it
	CodeUnauthenticated = "unauthenticated" // no or expired session
	CodeBadCredentials  = "bad_credentials" // wrong username or password
	CodeForbidden       = "forbidden"       // signed in, but not allowed
	CodeCrossOrigin     = "cross_origin"    // a state-changing request from another site
	CodeNotFound        = "not_found"
	CodeExists          = "exists"         // the id or name is taken
	CodeConflict        = "conflict"       // the state moved on
	CodeAlreadyMaking   = "already_making" // a customer cancels what a barista is making
	CodeNotDue          = "not_due"        // a timeout whose deadline has not passed
	CodeInvalidCode     = "invalid_code"   // a QR or sign-in code that is not known
	CodeCodeExpired     = "code_expired"   // a QR code from a past window
	CodeSoldOut         = "sold_out"       // a QR code with no uses left; RetryAt is the next window
	CodeClosed          = "closed"         // the bar is closed
	CodeBusy            = "busy"           // the bar's queue is full
	CodeLimitReached    = "limit_reached"  // the customer had their drinks today; RetryAt is local midnight
	CodeRateLimited     = "rate_limited"   // too many attempts from this address or for this account
	CodeMailFailed      = "mail_failed"    // a sign-in code could not be sent
	CodeUnavailable     = "unavailable"    // the database is unreachable
	CodeDBUnavailable   = "db_unavailable" // /readyz: the database does not answer
	CodeBusUnavailable  = "bus_unavailable"
	CodeFeedUnavailable = "feed_unavailable" // /readyz: the real-time feed is not running
	CodeInternal        = "internal"         // a bug; the message is not shown
	CodeSchemaTooNew    = "schema_too_new"   // start-up: the database is newer than the binary

	// The admin console (issue 9).
	CodeLastAdmin       = "last_admin"       // the change would leave no enabled admin
	CodeAccountDisabled = "account_disabled" // a disabled staff account
	CodeBarEnded        = "bar_ended"        // the bar's event is over: no scans, no codes
	CodePairingExpired  = "pairing_expired"  // a screen pairing code or link past its minutes
	CodePairingUsed     = "pairing_used"     // a screen pairing code or link used already

	// Screens for a rush (issue 11).
	CodeCalledRecently = "called_recently" // "Call again" within a minute of the last call; RetryAt is when it may be called again

	// The feed (issue 8).
	CodeRelayLagging = "relay_lagging" // /readyz: events wait in the outbox for seconds: the relay cannot publish
)
