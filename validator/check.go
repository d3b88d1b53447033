package validator

import (
	"context"

	"presso"
	"presso/store"
)

// Check tells what a scan of code at bar would hear now, without using
// the code, so a phone can say a dead code is dead before anyone signs in:
// its event is over (410 bar_ended), the bar is closed (423), the code is
// unknown (400), from a past window (410) or used up (409 with the next
// window), in the order a scan hears them. For a live code it returns the
// code with its uses left.
func (v *Validator) Check(ctx context.Context, bar *presso.Bar, code string) (store.Code, error) {
	// An ended bar is usually closed too; saying it has ended is the truer answer.
	if err := Live(bar); err != nil {
		return store.Code{}, err
	}
	if !bar.Open {
		return store.Code{}, presso.E(presso.KindClosed, presso.CodeClosed, "%s is closed right now", bar.Name)
	}
	if code == "" || len(code) > 64 {
		return store.Code{}, invalidCode()
	}
	c, err := v.db.CodeByValue(ctx, bar.ID, code)
	switch {
	case presso.IsKind(err, presso.KindNotFound):
		return store.Code{}, invalidCode()
	case err != nil:
		return store.Code{}, err
	case !v.now().Before(c.WindowEnd):
		return store.Code{}, codeExpired()
	case c.UsesLeft <= 0:
		return store.Code{}, soldOut(c)
	}
	return c, nil
}

// codeExpired and soldOut answer a code past its window and one with no
// use left, in the words Use gives a scan.
func codeExpired() *presso.Error {
	return &presso.Error{Kind: presso.KindExpired, Code: presso.CodeCodeExpired, Message: "this code has expired: scan the new one on the big screen"}
}

func soldOut(c store.Code) *presso.Error {
	return &presso.Error{Kind: presso.KindConflict, Code: presso.CodeSoldOut, Message: "every drink for this code is taken: a new code comes soon", RetryAt: c.WindowEnd}
}
